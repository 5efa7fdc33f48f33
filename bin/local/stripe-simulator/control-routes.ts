import { StripeApiError } from './errors.ts';
import type { Fault } from './faults.ts';
import { WebhookDeliveryError } from './webhooks.ts';

export interface RequestLogEntry {
  readonly method: string;
  /** The URL path without its query string. */
  readonly path: string;
  readonly idempotencyKey?: string;
}

/** The test and operations controls, the same as the simulator's methods. */
export interface SimulatorControls {
  injectFaults(fault: Fault): void;
  requestLog(): readonly RequestLogEntry[];
  resetRequestLog(): void;
  redeliver(eventId: string): Promise<void>;
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<void>;
  createEarlyFraudWarning(chargeId: string, actionable: boolean): Promise<void>;
  holdWebhooks(bodyIncludes: string): void;
  releaseWebhooks(): number;
}

export interface ControlResult {
  readonly status: number;
  readonly body: object;
}

class ControlInputError extends Error {
  override readonly name = 'ControlInputError';
}

/**
 * The controls over HTTP, JSON in and out, without authentication (the simulator only listens on
 * the loopback interface by default):
 *
 * - `POST   /_simulator/faults` `{ "mode": "error" | "refuse", "count": n, "bodyIncludes"?: text }` → the next
 *   n API requests (whose raw body contains `bodyIncludes`, when given) fail
 * - `GET    /_simulator/requests` → `{ "data": [{ method, path, idempotencyKey? }] }`, every API request so far
 * - `DELETE /_simulator/requests` → empties that log
 * - `POST   /_simulator/events/{eventId}/redeliver` → sends the event to the webhook endpoint again
 * - `POST   /_simulator/disputes/{disputeId}/close` `{ "outcome": "won" | "lost" }` → `charge.dispute.closed`
 * - `POST   /_simulator/charges/{chargeId}/early_fraud_warnings` `{ "actionable": bool }` → `radar.early_fraud_warning.created`
 * - `POST   /_simulator/webhooks/hold` `{ "bodyIncludes": text }` → events containing the text are not
 *   delivered until released (a late webhook)
 * - `POST   /_simulator/webhooks/release` → `{ "released": n }`: ends the holds, delivers what they held
 *
 * Errors answer `{ "error": { "message": … } }` with 400 (bad input), 404 (unknown id or route) or
 * 502 (the webhook endpoint refused a redelivery).
 */
export async function handleControl(
  controls: SimulatorControls,
  method: string,
  path: string,
  rawBody: string,
): Promise<ControlResult> {
  try {
    return await dispatch(controls, method, path, rawBody);
  } catch (error) {
    if (error instanceof ControlInputError) return failure(400, error.message);
    if (error instanceof StripeApiError) return { status: error.status, body: { error: error.error } };
    if (error instanceof WebhookDeliveryError) return failure(502, error.message);
    throw error;
  }
}

async function dispatch(
  controls: SimulatorControls,
  method: string,
  path: string,
  rawBody: string,
): Promise<ControlResult> {
  const done: ControlResult = { status: 200, body: { ok: true } };
  const segments = path.split('/').slice(2).map(decodeURIComponent);
  const [resource, id, action] = segments;

  if (resource === 'faults' && segments.length === 1 && method === 'POST') {
    const body = parseJson(rawBody);
    const mode = body.mode;
    const count = body.count;
    const bodyIncludes = body.bodyIncludes;
    if (
      (mode !== 'error' && mode !== 'refuse') ||
      typeof count !== 'number' ||
      (bodyIncludes !== undefined && typeof bodyIncludes !== 'string')
    ) {
      throw new ControlInputError(
        'expected { "mode": "error" | "refuse", "count": number, "bodyIncludes"?: string }',
      );
    }
    try {
      controls.injectFaults({ mode, count, ...(bodyIncludes === undefined ? {} : { bodyIncludes }) });
    } catch (error) {
      throw new ControlInputError(error instanceof Error ? error.message : String(error));
    }
    return done;
  }
  if (resource === 'requests' && segments.length === 1) {
    if (method === 'GET') return { status: 200, body: { data: controls.requestLog() } };
    if (method === 'DELETE') {
      controls.resetRequestLog();
      return done;
    }
  }
  if (resource === 'webhooks' && segments.length === 2 && method === 'POST') {
    if (id === 'hold') {
      const bodyIncludes = parseJson(rawBody).bodyIncludes;
      if (typeof bodyIncludes !== 'string' || bodyIncludes === '')
        throw new ControlInputError('expected { "bodyIncludes": "<text>" }');
      controls.holdWebhooks(bodyIncludes);
      return done;
    }
    if (id === 'release') return { status: 200, body: { released: controls.releaseWebhooks() } };
  }
  if (method === 'POST' && id !== undefined && segments.length === 3) {
    if (resource === 'events' && action === 'redeliver') {
      await controls.redeliver(id);
      return done;
    }
    if (resource === 'disputes' && action === 'close') {
      const outcome = parseJson(rawBody).outcome;
      if (outcome !== 'won' && outcome !== 'lost')
        throw new ControlInputError('expected { "outcome": "won" | "lost" }');
      await controls.closeDispute(id, outcome);
      return done;
    }
    if (resource === 'charges' && action === 'early_fraud_warnings') {
      const actionable = parseJson(rawBody).actionable;
      if (typeof actionable !== 'boolean') throw new ControlInputError('expected { "actionable": boolean }');
      await controls.createEarlyFraudWarning(id, actionable);
      return done;
    }
  }
  return failure(404, `no simulator control at ${method} ${path}`);
}

function parseJson(text: string): Readonly<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(text === '' ? '{}' : text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Readonly<Record<string, unknown>>;
    }
  } catch {
    // answered below
  }
  throw new ControlInputError('the body must be a JSON object');
}

function failure(status: number, message: string): ControlResult {
  return { status, body: { error: { message } } };
}
