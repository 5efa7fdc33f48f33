/**
 * The carriers' webhook receiver (contract section 7): verifies the signature over the raw body
 * with the store's valid secrets, then queues each tracking event as its own SQS message, so that
 * one bad event never retries its neighbours. Nothing is recorded for a bad signature, and an
 * unknown store answers exactly as a bad signature does. Deliveries are not deduplicated here:
 * the consumer applies each `eventId` once.
 */
import { InvalidSignature, ValidationFailed } from '../domain/errors.ts';
import { ShippingWebhookBody } from '../domain/shipping.ts';
import { parseWith } from '../http/validation.ts';
import { headerValue, jsonResponse, webhookReceiver } from '../http/webhook.ts';
import {
  type ShippingWebhookSecret,
  validShippingWebhookSecrets,
} from '../stores/shipping-webhook-secrets.ts';
import type { ShippingEventMessage } from './event-message.ts';
import { signatureHeaderName, verifyShippingSignature } from './signature.ts';

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
  // The carrier retries a 5xx delivery; the events it repeats are applied once by `eventId`.
  return webhookReceiver('shipping webhook delivery not accepted', async (event, body) => {
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
    return jsonResponse(202, { accepted: events.length });
  });
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
