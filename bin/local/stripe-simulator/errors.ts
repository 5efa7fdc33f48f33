import type Stripe from 'stripe';

/** The `error` object of a Stripe error response (the API's `api_errors` schema). */
export type StripeErrorObject = Stripe.PaymentIntent.LastPaymentError;

/**
 * An API error answered in Stripe's shape `{ error: { type, code, message, ... } }`.
 *
 * `replayable` says whether Stripe would save the answer under the request's idempotency key:
 * Stripe saves a result only once an endpoint started executing, so malformed parameters and
 * unknown routes are not saved (a corrected retry with the same key then runs), while state errors,
 * card declines and 500s are.
 */
export class StripeApiError extends Error {
  override readonly name = 'StripeApiError';

  constructor(
    readonly status: number,
    readonly error: StripeErrorObject,
    readonly replayable = true,
  ) {
    super(error.message);
  }
}

const docUrl = (code: string): string => `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;

function invalidRequest(message: string, fields: Partial<StripeErrorObject> = {}): StripeErrorObject {
  const code = fields.code;
  return { type: 'invalid_request_error', message, ...(code ? { doc_url: docUrl(code) } : {}), ...fields };
}

/** A malformed or missing parameter: not saved for idempotent replay, as Stripe. */
export function invalidParameter(
  param: string,
  message: string,
  code?: StripeErrorObject['code'],
): StripeApiError {
  return new StripeApiError(400, invalidRequest(message, { param, ...(code ? { code } : {}) }), false);
}

export function parameterMissing(param: string): StripeApiError {
  return invalidParameter(param, `Missing required param: ${param}.`, 'parameter_missing');
}

export function parameterUnknown(param: string): StripeApiError {
  return invalidParameter(
    param,
    `Received unknown parameter: ${param} (the local Stripe simulator does not accept it)`,
    'parameter_unknown',
  );
}

/** `resource` is Stripe's lower-case object name, e.g. `payment_intent`, `charge`. */
export function resourceMissing(resource: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(
    404,
    invalidRequest(`No such ${resource}: '${id}'`, { code: 'resource_missing', ...(param ? { param } : {}) }),
  );
}

export function unrecognizedUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(
    404,
    invalidRequest(`Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs.`, {
      code: 'resource_missing',
    }),
    false,
  );
}

export function unexpectedPaymentIntentState(
  paymentIntent: Stripe.PaymentIntent,
  action: { verb: string; pastParticiple: string; allowed: readonly string[] },
): StripeApiError {
  const message =
    `You cannot ${action.verb} this PaymentIntent because it has a status of ${paymentIntent.status}. ` +
    `Only a PaymentIntent with one of the following statuses may be ${action.pastParticiple}: ${action.allowed.join(', ')}.`;
  return new StripeApiError(
    400,
    invalidRequest(message, { code: 'payment_intent_unexpected_state', payment_intent: paymentIntent }),
  );
}

export function invalidRequestError(
  message: string,
  fields: Partial<StripeErrorObject> = {},
  status = 400,
): StripeApiError {
  return new StripeApiError(status, invalidRequest(message, fields));
}

export function idempotencyError(message: string): StripeApiError {
  return new StripeApiError(400, { type: 'idempotency_error', message }, false);
}

export function apiError(): StripeApiError {
  return new StripeApiError(500, {
    type: 'api_error',
    message: 'An unknown error occurred (injected by the local Stripe simulator).',
  });
}

export function authenticationError(message: string): StripeApiError {
  return new StripeApiError(401, { type: 'invalid_request_error', message }, false);
}
