/**
 * Applying a payment event to its order and performing the effects it commits to, shared by the
 * payment events consumer (Stripe events) and the fraud screening consumer (the rules' decision).
 *
 * Exactly-once effects, with at-least-once deliveries and crashes anywhere:
 * - The order's new state is written with a Put guarded by the version it was read at; a lost
 *   race re-reads and re-applies, so duplicates and concurrent deliveries converge and only the
 *   winner sees the rising edge that emits an effect.
 * - `release_stock` commits in the same transaction as the state that calls for it.
 * - Every effect outside the table (Stripe calls, the dispute history, the fraud check message)
 *   is written, in that same transaction, as a pending-effect item beside the order; it is
 *   performed after the write and deleted once done. A crash in between leaves the item and the
 *   SQS message: the redelivery (or any later event of the order) performs it again. So each such
 *   effect must be idempotent on its own: Stripe calls carry an idempotency key derived from the
 *   order and the effect (`${orderId}:capture`…), the dispute history is a conditional Put, and
 *   the fraud screening consumer ignores an order that is no longer waiting for screening.
 *   The trade-off of a fixed key: Stripe replays a saved 500 for that key for 24 h, so a capture
 *   that hit a Stripe 500 keeps failing until the key expires (the message ends in the DLQ and
 *   the pending item stays, to be performed by the next event, a redrive, or the sweeper, which
 *   retries owed effects hourly: functions/orders/owed-effects.ts). A key per attempt
 *   would avoid that but could refund twice under concurrent deliveries; the order's money must
 *   not move twice, so the fixed key wins.
 */

import { randomUUID } from 'node:crypto';
import { emailDigest } from '../adapters/email-digest.ts';
import type { StoredOrder } from '../adapters/order-items.ts';
import type { EffectLease, PendingEffect } from '../adapters/orders-repository.ts';
import type { Order } from '../domain/order.ts';
import { applyPaymentEvent, type PaymentEffect, type PaymentEvent } from '../domain/payments.ts';
import { type PaymentEventsGateway, type PaymentGateway, PaymentProviderRejected } from '../domain/ports.ts';

/** What an order's new state commits to, written in the same transaction as the state. */
export interface TransitionCommitments {
  /** The stock and coupon redemption it gives back. */
  readonly release?:
    | {
        readonly lines: readonly { sku: string; quantity: number }[];
        readonly couponCode?: string | undefined;
      }
    | undefined;
  /** The effects still to perform, so none is lost or done twice. */
  readonly pendingEffects: readonly PendingEffect[];
  /** The writer holds the new effects' lease: it performs them, concurrent readers leave them. */
  readonly lease?: EffectLease | undefined;
}

/** The order's reads and writes that applying a payment event needs. */
export interface TransitionOrders {
  getWithPendingEffects(
    storeId: string,
    orderId: string,
  ): Promise<{ stored: StoredOrder | undefined; pendingEffects: PendingEffect[] }>;
  saveTransition(
    stored: StoredOrder,
    next: Order,
    commitments: TransitionCommitments,
  ): Promise<'saved' | 'conflict'>;
  /** Takes an earlier write's pending effect; false when done or leased by another, unexpired. */
  claimEffect(
    storeId: string,
    orderId: string,
    effectId: string,
    lease: EffectLease,
    now: number,
  ): Promise<boolean>;
  settleEffect(storeId: string, orderId: string, effectId: string): Promise<void>;
  recordPriorDispute(
    storeId: string,
    kind: 'EMAIL' | 'CARD',
    id: string,
    dispute: { readonly disputeId: string; readonly orderId: string; readonly at: string },
  ): Promise<void>;
}

/** The message that asks the fraud screening consumer to screen an order. */
export interface FraudCheck {
  readonly storeId: string;
  readonly orderId: string;
}

/** Sends one fraud check message (the `fraud-checks` queue). */
export interface FraudCheckQueue {
  enqueue(check: FraudCheck): Promise<void>;
}

/** Longer than any consumer's timeout (30 s), so a live performer never loses its lease. */
const effectLeaseMs = 60_000;

export interface EffectDependencies {
  readonly orders: TransitionOrders;
  readonly payments: PaymentGateway & PaymentEventsGateway;
  /**
   * Where `queue_fraud_screening` sends. Without it that effect cannot be performed: it fails,
   * and its pending item stays for a delivery that has a queue.
   */
  readonly fraudChecks?: FraudCheckQueue | undefined;
  /**
   * The deployment's key of `emailDigest`, which `record_prior_dispute` needs. Without it that
   * effect cannot be performed: it fails, and its pending item stays for a delivery that has it.
   */
  readonly emailHashKey?: (() => Promise<string>) | undefined;
  /** Told when an effect was refused by Stripe for good (it is then dropped). */
  readonly onEffectRefused?: (effect: PaymentEffect, orderId: string, error: PaymentProviderRejected) => void;
}

export interface TransitionResult {
  /** `missing`: there is no such order. */
  readonly outcome: 'applied' | 'unchanged' | 'missing';
  /** The order as it is after the call (undefined when missing). */
  readonly order: Order | undefined;
}

/** How many times a lost race on the order is retried before giving up (SQS retries the message). */
const defaultAttempts = 8;

/**
 * Applies the event that `eventOf` builds from the freshly read order through the state machine,
 * writes the result with its commitments, then performs every effect the order still owes (this
 * one's and any left by a crash) and settles each. `eventOf` runs on every (re-)read; when it
 * returns undefined nothing is applied (owed effects are still performed): e.g. a rules decision
 * once the order no longer waits for screening, or a review once the order is no longer on hold.
 */
export async function transitionOrder(
  deps: EffectDependencies,
  reference: { readonly storeId: string; readonly orderId: string },
  eventOf: (order: Order) => PaymentEvent | undefined,
  attempts: number = defaultAttempts,
): Promise<TransitionResult> {
  const { storeId, orderId } = reference;
  // Of many deliveries that see the same pending effect, the lease holder performs it; the rest
  // leave it (they would only repeat an idempotent call). The lease outlives a Lambda's timeout so
  // that only a crashed performer's effect is taken up again.
  const lease: EffectLease = { owner: randomUUID(), until: Date.now() + effectLeaseMs };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { stored, pendingEffects } = await deps.orders.getWithPendingEffects(storeId, orderId);
    if (stored === undefined) return { outcome: 'missing', order: undefined };
    const event = eventOf(stored.order);
    const transition =
      event === undefined
        ? { order: stored.order, effects: [], changed: false }
        : applyPaymentEvent(stored.order, event, { storeId });
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
        lease,
      });
      if (saved === 'conflict') continue;
      owed = [...pendingEffects.filter((item) => !committed.some((c) => c.id === item.id)), ...committed];
    }
    const ours = new Set(owed.filter((item) => !pendingEffects.includes(item)).map((item) => item.id));
    for (const pending of owed) {
      // An earlier write's effect this caller has no means for is left, unleased, to the consumers
      // that have them; one this write committed must be performed here (or the delivery fails).
      if (!ours.has(pending.id) && !canPerform(deps, pending.effect)) continue;
      if (
        !ours.has(pending.id) &&
        !(await deps.orders.claimEffect(storeId, orderId, pending.id, lease, Date.now()))
      ) {
        continue;
      }
      await performEffect(deps, stored, pending.effect);
      await deps.orders.settleEffect(storeId, orderId, pending.id);
    }
    return { outcome: transition.changed ? 'applied' : 'unchanged', order: transition.order };
  }
  throw new Error(`order ${orderId} kept changing while a payment event was applied; SQS will retry`);
}

/**
 * The pending-effect id of an effect performed after the order's write, or undefined for
 * `release_stock`, which commits with the write. Each kind rises at most once per order, so the
 * kind names it.
 */
export function pendingEffectId(effect: PaymentEffect): string | undefined {
  switch (effect.kind) {
    case 'capture':
    case 'cancel_payment_intent':
    case 'record_prior_dispute':
    case 'queue_fraud_screening':
      return effect.kind;
    case 'refund_in_full':
      return `${effect.kind}:${effect.reason}`;
    case 'release_stock':
      return undefined;
  }
}

/** Performs one effect, idempotently (see the header); Stripe's final refusals are dropped. */
/** Whether `deps` holds what the effect needs (only some consumers send fraud checks or hash emails). */
export function canPerform(deps: EffectDependencies, effect: PaymentEffect): boolean {
  if (effect.kind === 'queue_fraud_screening') return deps.fraudChecks !== undefined;
  if (effect.kind === 'record_prior_dispute') return deps.emailHashKey !== undefined;
  return true;
}

export async function performEffect(
  deps: EffectDependencies,
  stored: StoredOrder,
  effect: PaymentEffect,
): Promise<void> {
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
        if (deps.emailHashKey === undefined) throw new Error('no email hash key to key the dispute history');
        const dispute = { disputeId: effect.disputeId, orderId: order.id, at: order.updatedAt };
        const emailHash = emailDigest(effect.email, await deps.emailHashKey());
        await deps.orders.recordPriorDispute(storeId, 'EMAIL', emailHash, dispute);
        if (effect.cardFingerprint !== undefined)
          await deps.orders.recordPriorDispute(storeId, 'CARD', effect.cardFingerprint, dispute);
        return;
      }
      case 'queue_fraud_screening':
        if (deps.fraudChecks === undefined) throw new Error('no fraud check queue to send to');
        await deps.fraudChecks.enqueue({ storeId, orderId: order.id });
        return;
      case 'release_stock':
        return;
    }
  } catch (error) {
    // Stripe understood and refused (the PaymentIntent moved on): retrying cannot change that, and
    // its own events report what did happen.
    if (!(error instanceof PaymentProviderRejected)) throw error;
    deps.onEffectRefused?.(effect, order.id, error);
  }
}

export { emailDigest };
