/**
 * The carriers' webhook receiver (contract section 7): verifies the signature over the raw body
 * with the store's valid secrets, then queues each tracking event as its own SQS message, so that
 * one bad event never retries its neighbours. Nothing is recorded for a bad signature, and an
 * unknown store answers exactly as a bad signature does. Deliveries are not deduplicated here:
 * the consumer applies each `eventId` once.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { type ApiError, InvalidSignature, PayloadTooLarge, ValidationFailed } from '../domain/errors.ts';
import { ShippingWebhookBody } from '../domain/shipping.ts';
import { internalProblem, problemFor, problemResponse } from '../http/problem.ts';
import { parseWith } from '../http/validation.ts';
import {
  type ShippingWebhookSecret,
  validShippingWebhookSecrets,
} from '../stores/shipping-webhook-secrets.ts';
import type { ShippingEventMessage } from './event-message.ts';
import { signatureHeaderName, verifyShippingSignature } from './signature.ts';

/** The contract's body limit (section 1), before any verification work. */
export const maxWebhookBodyBytes = 256 * 1024;

/** Store ids are `str_` and base-36; anything else cannot name a store and is not looked up. */
const storeIdShape = /^str_[a-z0-9]{1,64}$/;

export interface ShippingReceiverDependencies {
  /** The store's secrets, or undefined when no such store exists. */
  readonly secretsOf: (storeId: string) => Promise<readonly ShippingWebhookSecret[] | undefined>;
  /** Durably queues every message; rejects when any of them could not be queued. */
  readonly enqueue: (messages: readonly ShippingEventMessage[]) => Promise<void>;
  readonly now: () => Date;
}

export function shippingWebhookReceiver(deps: ShippingReceiverDependencies) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext.requestId;
    const respond = (response: APIGatewayProxyStructuredResultV2) => ({
      ...response,
      headers: { ...response.headers, 'x-request-id': requestId },
    });
    try {
      const body = rawBodyOf(event);
      const storeId = event.pathParameters?.storeId ?? '';
      const known = storeIdShape.test(storeId) ? await deps.secretsOf(storeId) : undefined;
      const now = deps.now();
      const verified = verifyShippingSignature({
        rawBody: body,
        header: headerValue(event, signatureHeaderName),
        secrets: known === undefined ? [] : validShippingWebhookSecrets(known, now),
        nowSeconds: Math.floor(now.getTime() / 1000),
      });
      if (!verified) {
        throw new InvalidSignature(
          'The X-Salesops-Signature header is missing, stale or does not match the body and a secret of this store.',
        );
      }
      const { events } = parseWith(ShippingWebhookBody, jsonOf(body), 'request body');
      const receivedAt = now.toISOString();
      await deps.enqueue(events.map((tracking) => ({ storeId, event: tracking, receivedAt })));
      return respond({
        statusCode: 202,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accepted: events.length }),
      });
    } catch (error) {
      if (isClientError(error)) return respond(problemResponse(problemFor(error, requestId)));
      // The carrier retries a 5xx delivery; the events it repeats are applied once by `eventId`.
      logger.error('shipping webhook delivery not accepted', {
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

function rawBodyOf(event: APIGatewayProxyEventV2): Buffer {
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

function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationFailed('The request body is not valid JSON.', {
      errors: [{ path: '', message: 'not valid JSON' }],
    });
  }
}

function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
