import type Stripe from 'stripe';
import type { SimulatedAccount } from './account.ts';
import { authenticationError, invalidParameter, parameterMissing, type StripeApiError } from './errors.ts';
import { type EventLog, type EventRequest, matchesEventType } from './events.ts';
import { expand } from './expand.ts';
import type { Params } from './form.ts';
import { type PaymentMethodChoice, type PublishablePaymentIntent, publishableView } from './objects.ts';
import { type ObjectCollection, type PageRequest, paginate } from './store.ts';

/**
 * The part of Stripe's REST API (v1) that the simulator serves. Handlers read their parameters
 * with Stripe's rules (unknown parameters are rejected on secret-key calls, as Stripe does), call
 * the account and answer the object, with `expand[]` applied.
 */

/**
 * `publishable`: a client-side caller (Stripe.js with a `pk_test_` key, or a shopper's plain request
 * in the local stack) that proves access to one PaymentIntent with its `client_secret`.
 */
export type Caller = 'secret' | 'publishable';

export interface ApiCall {
  readonly params: Params;
  readonly pathParams: Readonly<Record<string, string>>;
  readonly caller: Caller;
  readonly request: EventRequest;
  readonly path: string;
}

export interface ApiResult {
  readonly status: number;
  readonly body: object;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  /** Whether a publishable caller with the PaymentIntent's client secret may call it. */
  readonly clientSecretAccess: boolean;
  readonly handle: (call: ApiCall) => ApiResult;
}

export interface ApiDependencies {
  readonly account: SimulatedAccount;
  readonly events: EventLog;
}

export function apiRoutes({ account, events }: ApiDependencies): ApiRoute[] {
  const ok = (body: object): ApiResult => ({ status: 200, body });
  const lookup = (id: string): object | undefined => account.findObject(id);

  /**
   * Ends the reading of parameters before anything changes: a secret-key call with a parameter
   * the endpoint does not know fails as on Stripe; Stripe.js sends extras that are ignored.
   */
  const readExpansions = (call: ApiCall): string[] => {
    const expansions = call.params.expand();
    if (call.caller === 'secret') call.params.rejectUnknown();
    return expansions;
  };

  const paymentIntentResult = (
    paymentIntent: Stripe.PaymentIntent,
    call: ApiCall,
    expansions: readonly string[],
  ): ApiResult =>
    call.caller === 'publishable'
      ? ok(publishableView(paymentIntent) satisfies PublishablePaymentIntent)
      : ok(expand(paymentIntent, expansions, lookup));

  /** Reads and checks `client_secret`; publishable callers must present the right one. */
  const authorisedPaymentIntent = (call: ApiCall): Stripe.PaymentIntent => {
    const clientSecret = call.params.string('client_secret');
    if (call.caller === 'publishable' && clientSecret === undefined) {
      throw authenticationError(
        'This API call cannot be made with a publishable API key without the client_secret of the PaymentIntent.',
      );
    }
    const paymentIntent = account.paymentIntents.get(pathParam(call, 'id'), 'intent');
    if (clientSecret !== undefined && clientSecret !== paymentIntent.client_secret) {
      throw invalidParameter(
        'client_secret',
        'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
        'payment_intent_invalid_parameter',
      );
    }
    return paymentIntent;
  };

  const list = <T extends { readonly id: string }>(
    collection: ObjectCollection<T>,
    call: ApiCall,
    filters: Readonly<Record<string, (object: T, value: string) => boolean>>,
    extraFilter: (object: T) => boolean = () => true,
  ): ApiResult => {
    const active = Object.entries(filters).flatMap(([name, test]) => {
      const value = call.params.string(name);
      return value === undefined ? [] : [(object: T) => test(object, value)];
    });
    active.push(extraFilter);
    const page = readPage(call.params);
    const expansions = readExpansions(call);
    const items = collection.newestFirst((object) => active.every((test) => test(object)));
    return ok(expand(paginate(items, page, call.path, collection.resource), expansions, lookup));
  };

  const retrieve = <T extends { readonly id: string }>(
    collection: ObjectCollection<T>,
    call: ApiCall,
  ): ApiResult => {
    const expansions = readExpansions(call);
    return ok(expand(collection.get(pathParam(call, 'id'), 'id'), expansions, lookup));
  };

  const byPaymentIntent = (object: { readonly payment_intent?: unknown }, value: string): boolean =>
    object.payment_intent === value;
  const byCharge = (object: { readonly charge?: unknown }, value: string): boolean => object.charge === value;

  return [
    route('POST', '/v1/payment_intents', (call) => {
      const { params } = call;
      const input = {
        amount: readAmount(params),
        currency: readCurrency(params),
        captureMethod:
          params.oneOf('capture_method', ['automatic', 'automatic_async', 'manual']) ?? 'automatic_async',
        metadata: withoutEmptyValues(params.metadata() ?? {}),
        description: params.string('description') ?? null,
        receiptEmail: params.string('receipt_email') ?? null,
        statementDescriptorSuffix: params.string('statement_descriptor_suffix') ?? null,
        paymentMethods: readPaymentMethods(params),
        paymentMethod: params.string('payment_method'),
        confirm: params.boolean('confirm') ?? false,
      };
      // Stripe wants `return_url` for redirect-based methods; cards never redirect here.
      params.ignore('return_url');
      const expansions = readExpansions(call);
      return paymentIntentResult(account.createPaymentIntent(input, call.request), call, expansions);
    }),
    route('GET', '/v1/payment_intents', (call) => list(account.paymentIntents, call, {})),
    route(
      'GET',
      '/v1/payment_intents/:id',
      (call) => {
        const paymentIntent = authorisedPaymentIntent(call);
        return paymentIntentResult(paymentIntent, call, readExpansions(call));
      },
      { clientSecretAccess: true },
    ),
    route('POST', '/v1/payment_intents/:id', (call) => {
      const { params } = call;
      const changes = {
        amount: params.has('amount') ? readAmount(params) : undefined,
        currency: params.has('currency') ? readCurrency(params) : undefined,
        description: params.string('description'),
        receiptEmail: params.string('receipt_email'),
        metadata: params.metadata(),
      };
      const expansions = readExpansions(call);
      return paymentIntentResult(
        account.updatePaymentIntent(pathParam(call, 'id'), changes),
        call,
        expansions,
      );
    }),
    route(
      'POST',
      '/v1/payment_intents/:id/confirm',
      (call) => {
        const current = authorisedPaymentIntent(call);
        const paymentMethod = call.params.string('payment_method');
        call.params.ignore('return_url');
        const expansions = readExpansions(call);
        return paymentIntentResult(
          account.confirmPaymentIntent(current.id, paymentMethod, call.request),
          call,
          expansions,
        );
      },
      { clientSecretAccess: true },
    ),
    route('POST', '/v1/payment_intents/:id/capture', (call) => {
      const amount = call.params.integer('amount_to_capture');
      const expansions = readExpansions(call);
      return paymentIntentResult(
        account.capturePaymentIntent(pathParam(call, 'id'), amount, call.request),
        call,
        expansions,
      );
    }),
    route('POST', '/v1/payment_intents/:id/cancel', (call) => {
      const reason = call.params.oneOf('cancellation_reason', [
        'abandoned',
        'duplicate',
        'fraudulent',
        'requested_by_customer',
      ]);
      const expansions = readExpansions(call);
      return paymentIntentResult(
        account.cancelPaymentIntent(pathParam(call, 'id'), reason, call.request),
        call,
        expansions,
      );
    }),

    route('GET', '/v1/charges', (call) => list(account.charges, call, { payment_intent: byPaymentIntent })),
    route('GET', '/v1/charges/:id', (call) => retrieve(account.charges, call)),

    route('POST', '/v1/refunds', (call) => {
      const { params } = call;
      const amount = params.integer('amount');
      if (amount !== undefined && amount <= 0) {
        throw invalidParameter(
          'amount',
          'This value must be greater than or equal to 1.',
          'parameter_invalid_integer',
        );
      }
      const input = {
        paymentIntent: params.string('payment_intent'),
        charge: params.string('charge'),
        amount,
        reason: params.oneOf('reason', ['duplicate', 'fraudulent', 'requested_by_customer']),
        metadata: withoutEmptyValues(params.metadata() ?? {}),
      };
      const expansions = readExpansions(call);
      return ok(expand(account.createRefund(input, call.request), expansions, lookup));
    }),
    route('GET', '/v1/refunds', (call) =>
      list(account.refunds, call, { charge: byCharge, payment_intent: byPaymentIntent }),
    ),
    route('GET', '/v1/refunds/:id', (call) => retrieve(account.refunds, call)),

    route('GET', '/v1/disputes', (call) =>
      list(account.disputes, call, { charge: byCharge, payment_intent: byPaymentIntent }),
    ),
    route('GET', '/v1/disputes/:id', (call) => retrieve(account.disputes, call)),
    // Closing a dispute through the API means the merchant accepts it: Stripe marks it lost.
    route('POST', '/v1/disputes/:id/close', (call) => {
      const expansions = readExpansions(call);
      return ok(
        expand(account.closeDispute(pathParam(call, 'id'), 'lost', call.request), expansions, lookup),
      );
    }),

    route('GET', '/v1/radar/early_fraud_warnings', (call) =>
      list(account.earlyFraudWarnings, call, { charge: byCharge, payment_intent: byPaymentIntent }),
    ),
    route('GET', '/v1/radar/early_fraud_warnings/:id', (call) => retrieve(account.earlyFraudWarnings, call)),

    route('GET', '/v1/events', (call) => {
      const types = call.params.stringList('types');
      return list(
        events.events,
        call,
        { type: (event, pattern) => matchesEventType(event.type, pattern) },
        (event) => types === undefined || types.some((type) => matchesEventType(event.type, type)),
      );
    }),
    route('GET', '/v1/events/:id', (call) => retrieve(events.events, call)),
  ];
}

function route(
  method: ApiRoute['method'],
  path: string,
  handle: ApiRoute['handle'],
  options: { clientSecretAccess?: boolean } = {},
): ApiRoute {
  const paramNames: string[] = [];
  const source = path.replace(/:([a-z_]+)/g, (_, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  return {
    method,
    pattern: new RegExp(`^${source}$`),
    paramNames,
    clientSecretAccess: options.clientSecretAccess ?? false,
    handle,
  };
}

export function matchRoute(
  routes: readonly ApiRoute[],
  method: string,
  path: string,
): { route: ApiRoute; pathParams: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (match === null) continue;
    const pathParams: Record<string, string> = {};
    candidate.paramNames.forEach((name, index) => {
      pathParams[name] = decodeURIComponent(match[index + 1] ?? '');
    });
    return { route: candidate, pathParams };
  }
  return undefined;
}

function pathParam(call: ApiCall, name: string): string {
  const value = call.pathParams[name];
  if (value === undefined) throw parameterMissing(name);
  return value;
}

const MAX_AMOUNT = 99_999_999;

function readAmount(params: Params): number {
  const amount = params.requiredInteger('amount');
  if (amount < 1) {
    throw invalidParameter(
      'amount',
      'This value must be greater than or equal to 1.',
      'parameter_invalid_integer',
    );
  }
  if (amount > MAX_AMOUNT) {
    throw invalidParameter('amount', `Amount must be no more than ${MAX_AMOUNT}.`, 'amount_too_large');
  }
  return amount;
}

function readCurrency(params: Params): string {
  const currency = params.requiredString('currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) {
    throw invalidParameter(
      'currency',
      `Invalid currency: ${currency}. Stripe currencies are ISO 4217 codes.`,
    );
  }
  return currency;
}

/**
 * The pinned API version takes `allowed_payment_method_types` / `excluded_payment_method_types`;
 * earlier versions took `payment_method_types`, still accepted as the allowed list. Without a list,
 * automatic payment methods apply, as Stripe's default.
 */
function readPaymentMethods(params: Params): PaymentMethodChoice {
  const legacy = params.stringList('payment_method_types');
  const allowed = params.stringList('allowed_payment_method_types');
  const excluded = params.stringList('excluded_payment_method_types');
  const automatic = params.nested('automatic_payment_methods');
  const enabled = automatic?.boolean('enabled');
  const allowRedirects = automatic?.oneOf('allow_redirects', ['always', 'never']);
  automatic?.rejectUnknown();
  if (automatic !== undefined && enabled === undefined) {
    throw parameterMissing('automatic_payment_methods[enabled]');
  }

  const explicit = allowed ?? legacy;
  const alsoGiven = legacy !== undefined && allowed !== undefined;
  if (explicit !== undefined && (alsoGiven || enabled === true || excluded !== undefined)) {
    throw invalidParameter(
      allowed === undefined ? 'payment_method_types' : 'allowed_payment_method_types',
      'You may only specify one of these parameters: allowed_payment_method_types (or the older ' +
        'payment_method_types), automatic_payment_methods or excluded_payment_method_types.',
      'parameters_exclusive',
    );
  }
  if (explicit !== undefined) {
    if (!explicit.includes('card')) {
      throw noCardLeft(allowed === undefined ? 'payment_method_types' : 'allowed_payment_method_types');
    }
    return { kind: 'allowed', allowed: explicit };
  }
  if (excluded?.includes('card')) throw noCardLeft('excluded_payment_method_types');
  return { kind: 'automatic', allowRedirects: allowRedirects ?? 'always', excluded: excluded ?? null };
}

function noCardLeft(param: string): StripeApiError {
  return invalidParameter(
    param,
    'The local Stripe simulator only has card payment methods: `card` must stay allowed.',
  );
}

const MAX_PAGE = 100;
const DEFAULT_PAGE = 10;

function readPage(params: Params): PageRequest {
  const limit = params.integer('limit') ?? DEFAULT_PAGE;
  if (limit < 1 || limit > MAX_PAGE) {
    throw invalidParameter(
      'limit',
      `This value must be between 1 and ${MAX_PAGE}.`,
      'parameter_invalid_integer',
    );
  }
  return {
    limit,
    startingAfter: params.string('starting_after'),
    endingBefore: params.string('ending_before'),
  };
}

function withoutEmptyValues(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== ''));
}
