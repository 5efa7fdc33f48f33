/**
 * The HTTP edge every API function shares: auth, the 256 KiB limit, strict parsing, idempotency
 * and problem+json errors, in the contract's order of precedence (401, 413, 400, 404, 422/409).
 * A function's handler is a list of routes; each route is parse → one action → a result.
 */
import { timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { PayloadTooLarge, Unauthorized, ValidationFailed } from '../domain/errors.ts';
import type { BodyOf, Operation, ParamsOf, QueryOf } from './operation.ts';
import { internalProblem, isApiError, problemFor, problemResponse } from './problem.ts';
import { parseWith } from './validation.ts';

export const maxBodyBytes = 256 * 1024;

export interface HttpResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpRequest {
  readonly event: APIGatewayProxyEventV2;
  readonly lambdaContext: Context;
  readonly requestId: string;
}

export interface Route {
  readonly operation: Operation;
  handle(request: HttpRequest): Promise<HttpResult>;
}

export interface StoreAuthenticator<Store> {
  /** The store whose API key this is, or undefined. */
  authenticate(apiKey: string): Promise<Store | undefined>;
}

/** Runs an action at most once per store and `Idempotency-Key` (contract section 1). */
export interface IdempotencyGuard {
  run(
    request: {
      readonly storeId: string;
      readonly key: string;
      readonly fingerprint: string;
      readonly lambdaContext: Context;
    },
    action: () => Promise<HttpResult>,
  ): Promise<{ readonly result: HttpResult; readonly replayed: boolean }>;
}

export interface ActionInput<O extends Operation> {
  readonly body: BodyOf<O>;
  readonly query: QueryOf<O>;
  readonly params: ParamsOf<O>;
  readonly requestId: string;
}

export const ok = (body: unknown): HttpResult => ({ status: 200, body });
export const created = (body: unknown): HttpResult => ({ status: 201, body });

/** A route that any caller may use (health, docs). */
export function publicRoute<O extends Operation>(
  operation: O,
  action: (input: ActionInput<O>) => Promise<HttpResult>,
): Route {
  return { operation, handle: (request) => parseAndRun(operation, request, action) };
}

/** A route for the operator, behind the admin token (compared in constant time). */
export function adminRoute<O extends Operation>(
  operation: O,
  adminToken: () => Promise<string>,
  action: (input: ActionInput<O>) => Promise<HttpResult>,
): Route {
  return {
    operation,
    handle: async (request) => {
      const presented = bearerToken(request.event);
      if (presented === undefined || !constantTimeEquals(presented, await adminToken())) {
        throw new Unauthorized('A valid admin token is required: Authorization: Bearer <admin token>.');
      }
      return parseAndRun(operation, request, action);
    },
  };
}

/** A route for a store's backend, behind its API key; POSTs honour `Idempotency-Key`. */
export function storeRoute<O extends Operation, Store extends { readonly id: string }>(
  operation: O,
  dependencies: {
    readonly authenticator: StoreAuthenticator<Store>;
    readonly idempotency?: IdempotencyGuard;
  },
  action: (input: ActionInput<O> & { readonly store: Store }) => Promise<HttpResult>,
): Route {
  return {
    operation,
    handle: async (request) => {
      const apiKey = bearerToken(request.event);
      const store = apiKey === undefined ? undefined : await dependencies.authenticator.authenticate(apiKey);
      if (store === undefined) {
        throw new Unauthorized('A valid store API key is required: Authorization: Bearer <store API key>.');
      }
      const run = () => parseAndRun(operation, request, (input) => action({ ...input, store }));
      const key = headerValue(request.event, 'idempotency-key');
      const { idempotency } = dependencies;
      if (
        key === undefined ||
        idempotency === undefined ||
        request.event.requestContext.http.method !== 'POST'
      ) {
        return run();
      }
      rawBody(request.event); // 413 comes before any 400, and before anything is recorded under the key
      if (key.length < 1 || key.length > 255) {
        throw new ValidationFailed('The Idempotency-Key header must be 1 to 255 characters.', {
          errors: [{ path: '', message: 'Idempotency-Key must be 1 to 255 characters' }],
        });
      }
      const { result, replayed } = await idempotency.run(
        {
          storeId: store.id,
          key,
          fingerprint: fingerprint(request.event),
          lambdaContext: request.lambdaContext,
        },
        () => keepableResult(run, request.requestId),
      );
      return replayed ? { ...result, headers: { ...result.headers, 'idempotent-replayed': 'true' } } : result;
    },
  };
}

/**
 * Client errors are results to keep for replay; anything else (5xx) is thrown so that the
 * idempotency record is dropped and a retry runs again.
 */
async function keepableResult(run: () => Promise<HttpResult>, requestId: string): Promise<HttpResult> {
  try {
    return await run();
  } catch (error) {
    if (
      isApiError(error) &&
      error.code !== 'upstream_unavailable' &&
      error.code !== 'idempotency_key_in_use'
    ) {
      const problem = problemFor(error, requestId);
      return {
        status: problem.status,
        body: problem,
        headers: { 'content-type': 'application/problem+json' },
      };
    }
    throw error;
  }
}

async function parseAndRun<O extends Operation>(
  operation: O,
  request: HttpRequest,
  action: (input: ActionInput<O>) => Promise<HttpResult>,
): Promise<HttpResult> {
  const { event } = request;
  const body =
    operation.body === undefined ? undefined : parseWith(operation.body, jsonBody(event), 'request body');
  const query =
    operation.query === undefined
      ? undefined
      : parseWith(operation.query, event.queryStringParameters ?? {}, 'query string', '/query');
  const params =
    operation.params === undefined
      ? undefined
      : parseWith(operation.params, event.pathParameters ?? {}, 'URL path', '/path');
  return action({ body, query, params, requestId: request.requestId } as ActionInput<O>);
}

function rawBody(event: APIGatewayProxyEventV2): string {
  if (event.body === undefined) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > maxBodyBytes) {
    throw new PayloadTooLarge(
      `The request body is ${bytes.length} bytes; the limit is ${maxBodyBytes} (256 KiB).`,
    );
  }
  return bytes.toString('utf8');
}

function jsonBody(event: APIGatewayProxyEventV2): unknown {
  const text = rawBody(event);
  if (text.trim() === '') {
    throw new ValidationFailed('A JSON request body is required.', {
      errors: [{ path: '', message: 'required' }],
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationFailed('The request body is not valid JSON.', {
      errors: [{ path: '', message: 'not valid JSON' }],
    });
  }
}

/** Method + path + canonical JSON body: what makes two requests "the same" for idempotency. */
function fingerprint(event: APIGatewayProxyEventV2): string {
  const text = rawBody(event);
  let canonical = text;
  try {
    canonical = canonicalJson(JSON.parse(text));
  } catch {
    // Not JSON: the raw text is the body's identity; validation will reject it anyway.
  }
  return `${event.requestContext.http.method} ${event.rawPath}\n${canonical}`;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function bearerToken(event: APIGatewayProxyEventV2): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(event, 'authorization') ?? '');
  return match?.[1];
}

export function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The Lambda handler of an API function serving `routes`: dispatches on the route key, adds
 * `X-Request-Id`, and turns errors into problem+json (a 5xx never carries its cause).
 */
export function httpHandler(routes: readonly Route[]) {
  const byKey = new Map(routes.map((route) => [route.operation.route as string, route]));
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
    async (event, context) => {
      const requestId = event.requestContext.requestId;
      logger.appendKeys({ requestId, route: event.routeKey });
      try {
        const route = byKey.get(event.routeKey);
        if (route === undefined) throw new Error(`no route for ${event.routeKey}`);
        const result = await route.handle({ event, lambdaContext: context, requestId });
        return toResponse(result, requestId);
      } catch (error) {
        if (isApiError(error) && error.code !== 'internal') {
          return withRequestId(problemResponse(problemFor(error, requestId)), requestId);
        }
        logger.error('request failed', { error: error instanceof Error ? error : String(error) });
        return withRequestId(problemResponse(internalProblem(requestId)), requestId);
      } finally {
        logger.removeKeys(['requestId', 'route']);
      }
    },
  );
}

function toResponse(result: HttpResult, requestId: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...result.headers };
  const response: APIGatewayProxyStructuredResultV2 = { statusCode: result.status, headers };
  if (result.body !== undefined) response.body = JSON.stringify(result.body);
  return withRequestId(response, requestId);
}

function withRequestId(
  response: APIGatewayProxyStructuredResultV2,
  requestId: string,
): APIGatewayProxyStructuredResultV2 {
  return { ...response, headers: { ...response.headers, 'x-request-id': requestId } };
}
