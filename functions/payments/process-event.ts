/**
 * The payment events consumer's use case (contract section 6): one Stripe event, delivered at
 * least once and in any order, applied to its order through the pure state machine of
 * `domain/payments.ts`.
 *
 * Exactly-once effects, with at-least-once deliveries and crashes anywhere:
 * - The order's new state is written with a Put guarded by the version it was read at; a lost
 *   race re-reads and re-applies, so duplicates and concurrent deliveries converge and only the
 *   winner sees the rising edge that emits an effect.
 * - `release_stock` commits in the same transaction as the state that calls for it.
 * - Every effect outside the table (Stripe calls, the dispute history) is written, in that same
 *   transaction, as a pending-effect item beside the order; it is performed after the write and
 *   deleted once done. A crash in between leaves the item and the SQS message: the redelivery (or
 *   any later event of the order) performs it again. So each such effect must be idempotent on
 *   its own: Stripe calls carry an idempotency key derived from the order and the effect
 *   (`${orderId}:capture`…), and the dispute history is a conditional Put.
 *   The trade-off of a fixed key: Stripe replays a saved 500 for that key for 24 h, so a capture
 *   that hit a Stripe 500 keeps failing until the key expires (the message ends in the DLQ and
 *   the pending item stays, to be performed by the next event or a redrive). A key per attempt
 *   would avoid that but could refund twice under concurrent deliveries; the order's money must
 *   not move twice, so the fixed key wins.
 * - `queue_fraud_screening` is not performed in this slice: the fraud screening consumer is not
 *   built yet, so an authorised order stays `processing` with `fraudStatus: pending`.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { PendingEffect, StoredOrder } from '../adapters/orders-repository.ts';
import {
  type DisputeStatus,
  disputeStatuses,
  type Order,
  type RefundStatus,
  refundStatuses,
} from '../domain/order.ts';
import {
  applyPaymentEvent,
  type PaymentEffect,
  type PaymentEvent,
  type RefundSnapshot,
} from '../domain/payments.ts';
import { type PaymentEventsGateway, type PaymentGateway, PaymentProviderRejected } from '../domain/ports.ts';

export interface PaymentEventOrders {
  findByPaymentIntent(paymentIntentId: string): Promise<{ storeId: string; orderId: string } | undefined>;
  getWithPendingEffects(
    storeId: string,
    orderId: string,
  ): Promise<{ stored: StoredOrder | undefined; pendingEffects: PendingEffect[] }>;
  saveTransition(
    stored: StoredOrder,
    next: Order,
    commitments: {
      readonly release?:
        | {
            readonly lines: readonly { sku: string; quantity: number }[];
            readonly couponCode?: string | undefined;
          }
        | undefined;
      readonly pendingEffects: readonly PendingEffect[];
    },
  ): Promise<'saved' | 'conflict'>;
  settleEffect(storeId: string, orderId: string, effectId: string): Promise<void>;
  recordPriorDispute(
    storeId: string,
    kind: 'EMAIL' | 'CARD',
    id: string,
    dispute: { readonly disputeId: string; readonly orderId: string; readonly at: string },
  ): Promise<void>;
}

export interface PaymentEventsDependencies {
  readonly orders: PaymentEventOrders;
  readonly payments: PaymentGateway & PaymentEventsGateway;
  /** Whether the deployment's Stripe key is a live one; events of the other mode are ignored. */
  readonly livemode: () => Promise<boolean>;
  /** Told when an effect was refused by Stripe for good (it is then dropped). */
  readonly onEffectRefused?: (effect: PaymentEffect, orderId: string, error: PaymentProviderRejected) => void;
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

/** How many times a lost race on the order is retried before the delivery fails (SQS retries it). */
const attempts = 8;

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
  const { storeId, orderId } = reference;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { stored, pendingEffects } = await deps.orders.getWithPendingEffects(storeId, orderId);
    // The reference is written with the order in one transaction; no order means nothing to apply.
    if (stored === undefined) return 'ignored_foreign';
    const transition = applyPaymentEvent(stored.order, event, { storeId });
    let owed = pendingEffects;
    if (transition.changed) {
      const release = transition.effects.find((effect) => effect.kind === 'release_stock');
      const committed = transition.effects.flatMap((effect): PendingEffect[] => {
        const id = pendingEffectId(effect);
        return id === undefined ? [] : [{ id, effect }];
      });
      const saved = await deps.orders.saveTransition(stored, transition.order, {
        release,
        pendingEffects: committed,
      });
      if (saved === 'conflict') continue;
      owed = [...pendingEffects.filter((item) => !committed.some((c) => c.id === item.id)), ...committed];
    }
    for (const pending of owed) {
      await perform(deps, stored, pending.effect);
      await deps.orders.settleEffect(storeId, orderId, pending.id);
    }
    return transition.changed ? 'applied' : 'unchanged';
  }
  throw new Error(`order ${orderId} kept changing while a payment event was applied; SQS will retry`);
}

/**
 * The pending-effect id of an effect performed after the order's write, or undefined for the
 * ones that are not: `release_stock` commits with the write, and fraud screening waits for its
 * consumer. Each kind rises at most once per order, so the kind names it.
 */
function pendingEffectId(effect: PaymentEffect): string | undefined {
  switch (effect.kind) {
    case 'capture':
    case 'cancel_payment_intent':
    case 'record_prior_dispute':
      return effect.kind;
    case 'refund_in_full':
      return `${effect.kind}:${effect.reason}`;
    case 'release_stock':
    case 'queue_fraud_screening':
      return undefined;
  }
}

async function perform(deps: PaymentEventsDependencies, stored: StoredOrder, effect: PaymentEffect) {
  const { order, storeId } = stored;
  try {
    switch (effect.kind) {
      case 'capture':
        await deps.payments.capturePaymentIntent(
          effect.paymentIntentId,
          effect.amount,
          `${order.id}:capture`,
        );
        return;
      case 'cancel_payment_intent':
        await deps.payments.cancelPaymentIntent(
          effect.paymentIntentId,
          effect.reason,
          `${order.id}:cancel_payment_intent`,
        );
        return;
      case 'refund_in_full':
        await deps.payments.refund({
          paymentIntentId: effect.paymentIntentId,
          amount: effect.amount,
          reason: effect.reason === 'early_fraud_warning' ? 'fraudulent' : 'requested_by_customer',
          metadata: { orderId: order.id, storeId, reason: effect.reason },
          idempotencyKey: `${order.id}:refund_in_full:${effect.reason}`,
        });
        return;
      case 'record_prior_dispute': {
        const dispute = { disputeId: effect.disputeId, orderId: order.id, at: order.updatedAt };
        await deps.orders.recordPriorDispute(storeId, 'EMAIL', emailDigest(effect.email), dispute);
        if (effect.cardFingerprint !== undefined)
          await deps.orders.recordPriorDispute(storeId, 'CARD', effect.cardFingerprint, dispute);
        return;
      }
      case 'release_stock':
      case 'queue_fraud_screening':
        return;
    }
  } catch (error) {
    // Stripe understood and refused (the PaymentIntent moved on): retrying cannot change that, and
    // its own events report what did happen.
    if (!(error instanceof PaymentProviderRejected)) throw error;
    deps.onEffectRefused?.(effect, order.id, error);
  }
}

/**
 * The key of an email in the dispute history. The contract asks for an HMAC with a deployment
 * secret; a plain SHA-256 of the normalised email is the first step (the email itself is never stored).
 */
export function emailDigest(normalizedEmail: string): string {
  return createHash('sha256').update(normalizedEmail).digest('hex');
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
