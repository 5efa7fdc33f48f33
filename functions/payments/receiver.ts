/**
 * The Stripe webhook receiver (contract section 6): verifies the signature over the raw body and
 * hands every verified delivery to the payment events queue — duplicates too, because skipping
 * a send on a remembered event id would lose the event for good if that send then failed. The
 * consumer deduplicates with conditional writes. Nothing is recorded for a bad signature.
 */
import { InvalidSignature, ValidationFailed } from '../domain/errors.ts';
import { headerValue, jsonResponse, webhookReceiver } from '../http/webhook.ts';
import { verifyStripeSignature } from './signature.ts';

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
  // Stripe retries a 5xx delivery, so an event that could not be queued is not lost.
  return webhookReceiver('webhook delivery not accepted', async (event, body) => {
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
    const rawBody = body.toString('utf8');
    await deps.enqueue({ ...eventIdentity(rawBody), rawBody });
    return jsonResponse(200, { received: true });
  });
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
