import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type ApiCall, type ApiRoute, type Caller, matchRoute } from './api-routes.ts';
import { handleControl, type RequestLogEntry, type SimulatorControls } from './control-routes.ts';
import {
  apiError,
  authenticationError,
  invalidParameter,
  StripeApiError,
  unrecognizedUrl,
} from './errors.ts';
import type { FaultInjector } from './faults.ts';
import { canonicalJson, type FormObject, Params, parseForm } from './form.ts';
import type { IdempotencyStore, SavedResponse } from './idempotency.ts';
import { newId } from './ids.ts';

export interface HttpDependencies {
  readonly routes: readonly ApiRoute[];
  readonly idempotency: IdempotencyStore;
  readonly faults: FaultInjector;
  readonly requestLog: RequestLogEntry[];
  readonly controls: SimulatorControls;
  readonly apiVersion: string;
  /** Unix seconds. */
  readonly clock: () => number;
}

const MAX_BODY_BYTES = 1024 * 1024;
const CONTROL_PREFIX = '/_simulator/';

/**
 * The HTTP face of the simulator: Stripe's authentication, the request log, injected faults and
 * the `Idempotency-Key` layer around the API routes; `/_simulator/*` goes to the controls.
 */
export function createRequestListener(deps: HttpDependencies): RequestListener {
  return (request, response) => {
    handle(deps, request, response).catch((error: unknown) => {
      // A bug in the simulator, not a simulated failure: keep the process up and say so.
      console.error('stripe-simulator: internal error', error instanceof Error ? error.message : error);
      if (!response.headersSent) {
        send(response, 500, JSON.stringify({ error: { type: 'api_error', message: 'internal' } }));
      }
    });
  };
}

async function handle(
  deps: HttpDependencies,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  const url = new URL(request.url ?? '/', 'http://stripe-simulator.local');
  const body = await readBody(request);

  if (url.pathname.startsWith(CONTROL_PREFIX)) {
    const result = await handleControl(deps.controls, method, url.pathname, body ?? '');
    send(response, result.status, JSON.stringify(result.body, null, 2));
    return;
  }
  if (method === 'OPTIONS') {
    send(response, 204, '', corsHeaders());
    return;
  }

  const idempotencyKey = headerValue(request, 'idempotency-key');
  deps.requestLog.push({
    method,
    path: url.pathname,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
  const rawBody = body ?? '';
  if (deps.faults.take('refuse', rawBody)) {
    // The client sees its connection reset, as when Stripe cannot be reached.
    request.socket.destroy();
    return;
  }

  const requestId = newId('req');
  const reply = (saved: SavedResponse, extraHeaders: Record<string, string> = {}): void =>
    send(response, saved.status, saved.body, {
      'Request-Id': requestId,
      'Stripe-Version': deps.apiVersion,
      ...(idempotencyKey !== undefined && method === 'POST' ? { 'Idempotency-Key': idempotencyKey } : {}),
      ...corsHeaders(),
      ...extraHeaders,
    });
  const answerError = (error: StripeApiError): SavedResponse => ({
    status: error.status,
    body: errorBody(error, requestId, deps.clock()),
    requestId,
  });

  if (body === undefined) {
    // The rest of the body was not read, so this connection cannot carry another request.
    response.setHeader('Connection', 'close');
    reply(answerError(invalidParameter('body', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`)));
    return;
  }

  try {
    const values = parseForm(method === 'POST' ? body : url.search.slice(1));
    const matched = matchRoute(deps.routes, method, url.pathname);
    const caller = authenticate(request, values, matched?.route.clientSecretAccess ?? false);
    if (matched === undefined) throw unrecognizedUrl(method, url.pathname);

    const endpoint = `${method} ${url.pathname}`;
    const parameters = canonicalJson(values);
    const keyed = method === 'POST' ? idempotencyKey : undefined;
    if (keyed !== undefined) {
      const previous = deps.idempotency.lookup(keyed, endpoint, parameters);
      if (previous.kind === 'replay') {
        reply(previous.response, {
          'Idempotent-Replayed': 'true',
          'Original-Request': previous.response.requestId,
        });
        return;
      }
      if (previous.kind === 'conflict') throw previous.error;
    }

    const call: ApiCall = {
      params: new Params(values),
      pathParams: matched.pathParams,
      caller,
      request: { id: requestId, idempotency_key: keyed ?? null },
      path: url.pathname,
    };
    const outcome = execute(deps, matched.route, call, rawBody);
    const saved: SavedResponse =
      outcome.kind === 'ok'
        ? { status: outcome.status, body: JSON.stringify(outcome.body, null, 2), requestId }
        : answerError(outcome.error);
    if (keyed !== undefined && (outcome.kind === 'ok' || outcome.error.replayable)) {
      deps.idempotency.save(keyed, endpoint, parameters, saved);
    }
    reply(saved);
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    reply(answerError(error));
  }
}

type Outcome =
  | { readonly kind: 'ok'; readonly status: number; readonly body: object }
  | { readonly kind: 'error'; readonly error: StripeApiError };

/** Runs the endpoint, unless an injected 500 answers in its place (and is kept like any result). */
function execute(deps: HttpDependencies, route: ApiRoute, call: ApiCall, rawBody: string): Outcome {
  if (deps.faults.take('error', rawBody)) return { kind: 'error', error: apiError() };
  try {
    return { kind: 'ok', ...route.handle(call) };
  } catch (error) {
    if (error instanceof StripeApiError) return { kind: 'error', error };
    throw error;
  }
}

/**
 * Stripe's keys: a secret `sk_test_…` key as Bearer (or Basic user, as `curl -u`). A client-side
 * caller with a publishable `pk_test_…` key (header or Stripe.js's `key` field) may use the
 * client-secret endpoints; so may a caller with no key at all, because the local stack's shoppers
 * confirm payments with plain requests (contract section 10).
 */
function authenticate(request: IncomingMessage, values: FormObject, clientSecretAccess: boolean): Caller {
  const bodyKey = values.key;
  const key =
    apiKey(headerValue(request, 'authorization')) ?? (typeof bodyKey === 'string' ? bodyKey : undefined);
  if (key?.startsWith('sk_test_')) return 'secret';
  if (key !== undefined && !key.startsWith('pk_test_')) {
    throw authenticationError(`Invalid API Key provided: ${redact(key)}`);
  }
  if (clientSecretAccess) return 'publishable';
  throw authenticationError(
    key === undefined
      ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
      : 'This API call cannot be made with a publishable API key. Please use a secret API key.',
  );
}

function apiKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const [scheme, credentials = ''] = authorization.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') return credentials;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    return decoded.split(':', 1)[0];
  }
  return authorization;
}

function redact(key: string): string {
  return key.length <= 12 ? '****' : `${key.slice(0, 8)}****${key.slice(-4)}`;
}

function errorBody(error: StripeApiError, requestId: string, now: number): string {
  const requestLogUrl = `https://dashboard.stripe.com/test/logs/${requestId}?t=${now}`;
  return JSON.stringify({ error: { ...error.error, request_log_url: requestLogUrl } }, null, 2);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as text, or `undefined` when it exceeds the limit. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function corsHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key, Stripe-Version',
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  };
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...(body === '' ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}
