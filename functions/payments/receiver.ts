/**
 * The Stripe webhook receiver (contract section 6): verifies the signature over the raw body and
 * hands every verified delivery to the payment events queue — duplicates too, because skipping
 * a send on a remembered event id would lose the event for good if that send then failed. The
 * consumer deduplicates with conditional writes. Nothing is recorded for a bad signature.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { type ApiError, InvalidSignature, PayloadTooLarge, ValidationFailed } from '../domain/errors.ts';
import { internalProblem, problemFor, problemResponse } from '../http/problem.ts';
import { verifyStripeSignature } from './signature.ts';

/** The contract's body limit (section 1), before any verification work. */
export const maxWebhookBodyBytes = 256 * 1024;

/** What the consumer reads besides the body: enough to log and route without parsing it. */
export interface AcceptedDelivery {
  readonly eventId: string;
  readonly eventType: string;
  /** The event JSON exactly as Stripe sent it. */
  readonly rawBody: string;
}

export interface ReceiverDependencies {
  readonly webhookSecret: () => Promise<string>;
  /** Durably queues the delivery; rejects when it could not. */
  readonly enqueue: (delivery: AcceptedDelivery) => Promise<void>;
  /** Unix seconds. */
  readonly nowSeconds: () => number;
}

export function stripeWebhookReceiver(deps: ReceiverDependencies) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext.requestId;
    const respond = (response: APIGatewayProxyStructuredResultV2) => ({
      ...response,
      headers: { ...response.headers, 'x-request-id': requestId },
    });
    try {
      const body = rawBodyOf(event);
      const verified = verifyStripeSignature({
        rawBody: body,
        header: headerValue(event, 'stripe-signature'),
        secret: await deps.webhookSecret(),
        nowSeconds: deps.nowSeconds(),
      });
      if (!verified) {
        throw new InvalidSignature(
          'The Stripe-Signature header is missing, stale or does not match the body and the endpoint secret.',
        );
      }
      const rawBody = Buffer.from(body).toString('utf8');
      await deps.enqueue({ ...eventIdentity(rawBody), rawBody });
      return respond({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ received: true }),
      });
    } catch (error) {
      if (isClientError(error)) return respond(problemResponse(problemFor(error, requestId)));
      // Stripe retries a 5xx delivery, so an event that could not be queued is not lost.
      logger.error('webhook delivery not accepted', {
        requestId,
        error: error instanceof Error ? error : String(error),
      });
      return respond(problemResponse(internalProblem(requestId)));
    }
  };
}

function isClientError(error: unknown): error is ApiError {
  return (
    error instanceof InvalidSignature || error instanceof PayloadTooLarge || error instanceof ValidationFailed
  );
}

function rawBodyOf(event: APIGatewayProxyEventV2): Uint8Array {
  const body =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > maxWebhookBodyBytes) {
    throw new PayloadTooLarge(
      `The request body is ${body.length} bytes; the limit is ${maxWebhookBodyBytes} (256 KiB).`,
    );
  }
  return body;
}

/** A signed body is Stripe's; one without an event id and type is not an event we can queue. */
function eventIdentity(rawBody: string): { eventId: string; eventType: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && 'id' in parsed && 'type' in parsed) {
    const { id, type } = parsed;
    if (typeof id === 'string' && typeof type === 'string') return { eventId: id, eventType: type };
  }
  throw new ValidationFailed('The body is not a Stripe event (no string id and type).', {
    errors: [{ path: '', message: 'expected a Stripe event' }],
  });
}

function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
