/**
 * The payment events consumer's use case (contract section 6): one Stripe event, delivered at
 * least once and in any order, applied to its order through the pure state machine of
 * `domain/payments.ts`.
 *
 * Exactly-once effects, with at-least-once deliveries and crashes anywhere: see `effects.ts`
 * (version-guarded writes, stock released in the same transaction, pending-effect items
 * performed idempotently after the write, the fraud check queued as one of them).
 */
import * as z from 'zod/mini';
import { type DisputeStatus, disputeStatuses, type RefundStatus, refundStatuses } from '../domain/order.ts';
import type { PaymentEvent, RefundSnapshot } from '../domain/payments.ts';
import type { PaymentEventsGateway } from '../domain/ports.ts';
import { type EffectDependencies, type TransitionOrders, transitionOrder } from './effects.ts';

export { emailDigest } from './effects.ts';

export interface PaymentEventOrders extends TransitionOrders {
  findByPaymentIntent(paymentIntentId: string): Promise<{ storeId: string; orderId: string } | undefined>;
}

export interface PaymentEventsDependencies extends EffectDependencies {
  readonly orders: PaymentEventOrders;
  /** Whether the deployment's Stripe key is a live one; events of the other mode are ignored. */
  readonly livemode: () => Promise<boolean>;
}

export type EventOutcome = 'applied' | 'unchanged' | 'ignored_livemode' | 'ignored_foreign' | 'ignored_type';

/** The fields of a Stripe event that this consumer reads; the rest is left alone. */
const StripeEvent = z.object({
  id: z.string(),
  type: z.string(),
  created: z.number(),
  livemode: z.boolean(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
type StripeEvent = z.infer<typeof StripeEvent>;

const expandable = z.union([z.string(), z.object({ id: z.string() })]);

const PaymentIntentObject = z.object({
  id: z.string(),
  amount: z.number(),
  amount_received: z.optional(z.number()),
  currency: z.string(),
  metadata: z._default(z.record(z.string(), z.string()), {}),
  latest_charge: z.optional(z.nullable(expandable)),
  cancellation_reason: z.optional(z.nullable(z.string())),
  last_payment_error: z.optional(
    z.nullable(
      z.object({
        charge: z.optional(z.nullable(z.string())),
        code: z.optional(z.nullable(z.string())),
        decline_code: z.optional(z.nullable(z.string())),
      }),
    ),
  ),
});

/** The `payment_intent` (and charge) links of a charge, refund, dispute or early fraud warning. */
const LinkedObject = z.object({
  id: z.string(),
  object: z.string(),
  payment_intent: z.optional(z.nullable(expandable)),
  charge: z.optional(z.nullable(expandable)),
});

const EarlyFraudWarningObject = z.object({
  id: z.string(),
  actionable: z.boolean(),
  created: z.number(),
});

const paymentIntentEvents = new Set([
  'payment_intent.amount_capturable_updated',
  'payment_intent.payment_failed',
  'payment_intent.succeeded',
  'payment_intent.canceled',
]);
const refundEvents = new Set(['charge.refunded', 'refund.created', 'refund.updated', 'refund.failed']);
const disputeEvents = new Set(['charge.dispute.created', 'charge.dispute.closed']);
const earlyFraudWarningEvent = 'radar.early_fraud_warning.created';

/** Applies one Stripe event (the parsed JSON of a delivery) to its order, if it is ours. */
export async function processStripeEvent(
  deps: PaymentEventsDependencies,
  raw: unknown,
): Promise<EventOutcome> {
  const event = StripeEvent.parse(raw);
  if (!isHandled(event.type)) return 'ignored_type';
  if (event.livemode !== (await deps.livemode())) return 'ignored_livemode';
  const paymentIntentId = paymentIntentIdOf(event);
  const reference =
    paymentIntentId === undefined ? undefined : await deps.orders.findByPaymentIntent(paymentIntentId);
  if (reference === undefined) return 'ignored_foreign';
  const paymentEvent = await toPaymentEvent(deps.payments, event);
  return applyToOrder(deps, reference, paymentEvent);
}

function isHandled(type: string): boolean {
  return (
    paymentIntentEvents.has(type) ||
    refundEvents.has(type) ||
    disputeEvents.has(type) ||
    type === earlyFraudWarningEvent
  );
}

/** The contract's rule: `data.object.id` for `payment_intent.*`, else `data.object.payment_intent`. */
export function paymentIntentIdOf(event: Pick<StripeEvent, 'type' | 'data'>): string | undefined {
  const object = event.data.object;
  if (event.type.startsWith('payment_intent.')) return typeof object.id === 'string' ? object.id : undefined;
  const linked = LinkedObject.safeParse(object);
  return linked.success ? idOf(linked.data.payment_intent) : undefined;
}

async function toPaymentEvent(payments: PaymentEventsGateway, event: StripeEvent): Promise<PaymentEvent> {
  const at = new Date(event.created * 1000).toISOString();
  const object = event.data.object;
  if (paymentIntentEvents.has(event.type)) {
    const intent = PaymentIntentObject.parse(object);
    switch (event.type) {
      case 'payment_intent.amount_capturable_updated':
        return {
          kind: 'authorized',
          at,
          intent: {
            id: intent.id,
            amount: intent.amount,
            currency: intent.currency,
            metadata: intent.metadata,
          },
          chargeId: idOf(intent.latest_charge),
        };
      case 'payment_intent.payment_failed': {
        const failure = intent.last_payment_error ?? undefined;
        return {
          kind: 'payment_failed',
          at,
          // The failed charge identifies the attempt; without one, the event does (it is the same on redelivery).
          attemptId: failure?.charge ?? idOf(intent.latest_charge) ?? event.id,
          failureCode: failure?.decline_code ?? failure?.code ?? undefined,
        };
      }
      case 'payment_intent.succeeded':
        return { kind: 'captured', at, amount: intent.amount_received ?? intent.amount };
      default:
        return { kind: 'canceled', at, cancellationReason: intent.cancellation_reason ?? null };
    }
  }
  if (event.type === earlyFraudWarningEvent) {
    const warning = EarlyFraudWarningObject.parse(object);
    return {
      kind: 'early_fraud_warning',
      at,
      warning: {
        id: warning.id,
        actionable: warning.actionable,
        created: new Date(warning.created * 1000).toISOString(),
      },
    };
  }
  const linked = LinkedObject.parse(object);
  if (refundEvents.has(event.type)) {
    const chargeId = linked.object === 'charge' ? linked.id : idOf(linked.charge);
    if (chargeId === undefined) throw new Error(`${event.type} ${event.id} names no charge`);
    // The event's copy may be stale: Stripe's current list is what counts.
    const refunds = await payments.listRefunds(chargeId);
    return {
      kind: 'refunds_observed',
      at,
      refunds: refunds.map(
        (refund): RefundSnapshot => ({
          id: refund.id,
          amount: refund.amount,
          status: refundStatusOf(refund.status),
          created: refund.created,
        }),
      ),
    };
  }
  const dispute = await payments.retrieveDispute(linked.id);
  const charge = dispute.chargeId === undefined ? undefined : await payments.retrieveCharge(dispute.chargeId);
  return {
    kind: 'dispute_observed',
    at,
    dispute: {
      id: dispute.id,
      amount: dispute.amount,
      status: disputeStatusOf(dispute.status),
      created: dispute.created,
      chargeId: dispute.chargeId,
    },
    cardFingerprint: charge?.cardFingerprint,
  };
}

async function applyToOrder(
  deps: PaymentEventsDependencies,
  reference: { storeId: string; orderId: string },
  event: PaymentEvent,
): Promise<EventOutcome> {
  const result = await transitionOrder(deps, reference, () => event);
  // The reference is written with the order in one transaction; no order means nothing to apply.
  return result.outcome === 'missing' ? 'ignored_foreign' : result.outcome;
}

function idOf(value: string | { id: string } | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.id;
}

function refundStatusOf(status: string): RefundStatus {
  return (refundStatuses as readonly string[]).includes(status) ? (status as RefundStatus) : 'pending';
}

function disputeStatusOf(status: string): DisputeStatus {
  // A status a newer API version adds is read as still open: it keeps counting until Stripe closes it.
  return (disputeStatuses as readonly string[]).includes(status)
    ? (status as DisputeStatus)
    : 'needs_response';
}
