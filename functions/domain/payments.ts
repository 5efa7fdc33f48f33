/**
 * The order's payment state machine (contract sections 5 and 6), pure: no Stripe, no I/O.
 *
 * Stripe delivers events at least once and in any order, so the machine does not step from state
 * to state. It keeps what it has learnt as FACTS (`order.paymentFacts`) that only accumulate — sets
 * keyed by id, earliest times, amounts that only grow, statuses that only move forward — and
 * merging an event into them is commutative, associative and idempotent. Everything the contract
 * shows (`status`, `paymentStatus`, `fraudStatus`, `amounts.captured`, `amounts.refunded`,
 * `cancelReason`, `fraud`, the payment entries of `timeline`) is DERIVED from the facts. So any
 * permutation of the same deliveries, with any duplicates, ends in the same order.
 *
 * EFFECTS (capture, cancel, release stock…) are what the caller must do once. Each is the rising
 * edge of a predicate over the derived state that can rise at most once: it is built from facts
 * that can only appear (authorised, approved, rejected, cancelled, captured > 0) and from facts
 * that can only disappear (not captured, not cancelled, PaymentIntent matches). A duplicate event
 * changes no fact, so it yields no effect; no "already done" flags are needed, which would make
 * the final order depend on the path. The caller writes the new order with a conditional write on
 * the version it read and performs the effects only if that write won.
 *
 * Conflicts the facts can hold, and how they are resolved (the same whatever arrives first):
 * - Cancellation is final: any cancellation fact (the PaymentIntent cancelled, a fraud or review
 *   rejection, a review timeout, a cancellation by the store or the sweeper) makes the order
 *   `cancelled` for good, and `release_stock` is emitted when it first becomes so.
 * - Money captured for a cancelled order (a capture that raced a rejection, or one made in
 *   Stripe's dashboard) leaves the order `cancelled` — its stock is gone already — while
 *   `paymentStatus` follows the money (`captured`); the machine then asks for a full refund
 *   (`refund_in_full`, reason `cancelled_order_captured`) so the customer is not charged for an
 *   order that will not ship.
 * - Decisions rank reject > approve > review: a rejection (rules, reviewer, or review timeout)
 *   wins over an approval, an approval over a review. The callers keep conflicting decisions from
 *   existing: the screening consumer records a rules decision only while `fraudStatus` is
 *   `pending`, and the review endpoint and the timeout sweeper act only on `on_hold` orders, each
 *   with a conditional write.
 */
import { normalizeEmail } from './fraud.ts';
import type {
  CancelReason,
  DisputeStatus,
  FraudAssessment,
  HoldReason,
  Order,
  OrderStatus,
  PaymentFacts,
  RefundStatus,
  TimelineEntry,
} from './order.ts';
import { disputeStatuses, refundStatuses } from './order.ts';
import type { CancellationReason, PaymentIntentView } from './ports.ts';
import { replaceDerivedEntries } from './timeline.ts';

type PaymentStatus = Order['paymentStatus'];
type FraudStatus = Order['fraudStatus'];

/** A decision as the screening consumer or a reviewer records it; `note` is the reviewer's. */
export type FraudDecisionFact = FraudAssessment & { readonly note?: string | undefined };

/** The PaymentIntent fields that must match the order before it is captured. */
export type PaymentIntentSnapshot = Pick<PaymentIntentView, 'id' | 'amount' | 'currency' | 'metadata'>;

export interface RefundSnapshot {
  readonly id: string;
  readonly amount: number;
  readonly status: RefundStatus;
  /** The refund's `created`, as an RFC 3339 timestamp. */
  readonly created: string;
}

export interface DisputeSnapshot {
  readonly id: string;
  readonly amount: number;
  readonly status: DisputeStatus;
  readonly created: string;
  readonly chargeId?: string | undefined;
}

/**
 * What an adapter builds from a Stripe event (after re-reading Stripe where the contract says so)
 * or from a decision. `at` is the time of the Stripe event (`created`) or of the decision; it
 * must be the same for every delivery of the same event.
 */
export type PaymentEvent =
  /** `payment_intent.amount_capturable_updated`: the PaymentIntent is `requires_capture`. */
  | {
      readonly kind: 'authorized';
      readonly at: string;
      readonly intent: PaymentIntentSnapshot;
      readonly chargeId?: string | undefined;
    }
  /** `payment_intent.payment_failed`: `attemptId` is the failed charge (or attempt) id. */
  | {
      readonly kind: 'payment_failed';
      readonly at: string;
      readonly attemptId: string;
      readonly failureCode?: string | undefined;
    }
  /** `payment_intent.succeeded`: `amount` is the PaymentIntent's `amount_received`. */
  | { readonly kind: 'captured'; readonly at: string; readonly amount: number }
  /** `payment_intent.canceled`, with Stripe's `cancellation_reason`. */
  | { readonly kind: 'canceled'; readonly at: string; readonly cancellationReason: string | null }
  /** A refund event: every refund of the charge as Stripe reports it now (re-read). */
  | { readonly kind: 'refunds_observed'; readonly at: string; readonly refunds: readonly RefundSnapshot[] }
  /**
   * `charge.dispute.*`: the dispute as Stripe reports it now (re-read). `cardFingerprint` is the
   * disputed card's, when the adapter has it (it feeds `prior_dispute`).
   */
  | {
      readonly kind: 'dispute_observed';
      readonly at: string;
      readonly dispute: DisputeSnapshot;
      readonly cardFingerprint?: string | undefined;
    }
  /** `radar.early_fraud_warning.created`. */
  | {
      readonly kind: 'early_fraud_warning';
      readonly at: string;
      readonly warning: { readonly id: string; readonly actionable: boolean; readonly created: string };
    }
  /** The screening's decision (`decidedBy: 'rules'`) or a reviewer's (`'reviewer'`). */
  | { readonly kind: 'fraud_decided'; readonly decision: FraudDecisionFact }
  /** The sweeper found the order in review for longer than `fraud.reviewTimeoutHours`. */
  | { readonly kind: 'review_timed_out'; readonly at: string };

export type FullRefundReason = 'early_fraud_warning' | 'cancelled_order_captured';

/** What the caller must do, once, after writing the new order. */
export type PaymentEffect =
  | {
      readonly kind: 'cancel_payment_intent';
      readonly paymentIntentId: string;
      readonly reason: CancellationReason;
    }
  | {
      readonly kind: 'release_stock';
      readonly lines: readonly { readonly sku: string; readonly quantity: number }[];
      readonly couponCode?: string | undefined;
    }
  | { readonly kind: 'capture'; readonly paymentIntentId: string; readonly amount: number }
  | { readonly kind: 'queue_fraud_screening'; readonly paymentIntentId: string; readonly chargeId?: string }
  | {
      readonly kind: 'refund_in_full';
      readonly paymentIntentId: string;
      readonly chargeId?: string;
      /** Captured minus the refunds not failed, as far as the order knows. */
      readonly amount: number;
      readonly reason: FullRefundReason;
      readonly earlyFraudWarningId?: string;
    }
  | {
      readonly kind: 'record_prior_dispute';
      /** Trimmed and lower-cased; the adapter stores only its keyed hash. */
      readonly email: string;
      readonly disputeId: string;
      readonly chargeId?: string;
      readonly cardFingerprint?: string;
    };

export interface PaymentTransition {
  readonly order: Order;
  readonly effects: readonly PaymentEffect[];
  /** False when the event taught nothing new: `order` is the input, and there is nothing to write. */
  readonly changed: boolean;
}

export interface PaymentContext {
  /** The store the order belongs to: the PaymentIntent's `metadata.storeId` must name it. */
  readonly storeId: string;
}

/** Stripe's `cancellation_reason` for each way this machine rejects a payment. */
const cancellationReasons = {
  // The rules judged it fraud: Stripe's own label for that.
  fraud_rejected: 'fraudulent',
  // A reviewer may reject for reasons other than fraud (a mismatch, an address), so the machine
  // does not label it fraudulent; it is the merchant's decision.
  review_rejected: 'requested_by_customer',
  // Nobody decided; the authorisation would lapse anyway.
  review_timeout: 'abandoned',
} as const satisfies Partial<Record<CancelReason, CancellationReason>>;

// ---------------------------------------------------------------------------------------------
// Matching the PaymentIntent to the order

/** The fields in which the PaymentIntent differs from the order; empty when it matches. */
export function paymentIntentMismatches(
  order: Order,
  intent: PaymentIntentSnapshot,
  storeId: string,
): string[] {
  const mismatches: string[] = [];
  if (intent.id !== order.payment.paymentIntentId) mismatches.push('id');
  if (intent.amount !== order.amounts.total) mismatches.push('amount');
  if (intent.currency.toLowerCase() !== order.currency) mismatches.push('currency');
  if (intent.metadata.orderId !== order.id) mismatches.push('metadata.orderId');
  if (intent.metadata.storeId !== storeId) mismatches.push('metadata.storeId');
  return mismatches;
}

/** The PaymentIntent's id, amount, currency and `metadata.orderId`/`storeId` match the order. */
export function paymentIntentMatches(order: Order, intent: PaymentIntentSnapshot, storeId: string): boolean {
  return paymentIntentMismatches(order, intent, storeId).length === 0;
}

// ---------------------------------------------------------------------------------------------
// Facts

export function emptyPaymentFacts(): PaymentFacts {
  return {
    intentMismatches: [],
    failedAttempts: [],
    decisions: [],
    refunds: [],
    disputes: [],
    earlyFraudWarnings: [],
  };
}

/**
 * The order's facts, including what code outside this machine did to it: `cancelOrder` (the
 * store's cancel, the reservation sweeper) cancels and releases stock without facts, so such an
 * order is read as cancelled by that reason, with its stock already released.
 */
export function paymentFactsOf(order: Order): PaymentFacts {
  const facts = order.paymentFacts ?? emptyPaymentFacts();
  if (order.status !== 'cancelled' || cancellationOf(facts) !== undefined) return facts;
  const entry = order.timeline.findLast((item) => item.type === 'cancelled');
  const reason = order.cancelReason ?? 'requested';
  return {
    ...facts,
    orderCancelled: {
      at: iso(entry?.at ?? order.updatedAt),
      reason,
      ...optional('detail', entry?.detail),
    },
  };
}

/**
 * The sweeper's `markAuthorised` marks an order authorised without facts (and without queueing
 * screening). Such an order is read as authorised, and because that fact is not in the stored
 * facts, its first payment event raises the authorisation edge and queues the screening.
 */
function withLegacyAuthorization(order: Order, facts: PaymentFacts): PaymentFacts {
  if (facts.authorization !== undefined || order.status !== 'processing') return facts;
  if (order.paymentStatus !== 'authorized') return facts;
  const entry = order.timeline.findLast((item) => item.type === 'payment_authorized');
  return { ...facts, authorization: { at: iso(entry?.at ?? order.updatedAt) } };
}

/** Failed payment attempts on the order (the `repeated_payment_failures` signal). */
export function failedAttemptCount(order: Order): number {
  return order.paymentFacts?.failedAttempts.length ?? 0;
}

function mergeEvent(
  facts: PaymentFacts,
  event: PaymentEvent,
  order: Order,
  context: PaymentContext,
): PaymentFacts {
  switch (event.kind) {
    case 'authorized': {
      const at = iso(event.at);
      const previous = facts.authorization;
      const chargeId = minDefined(previous?.chargeId, event.chargeId);
      return {
        ...facts,
        authorization: { at: minDefined(previous?.at, at) ?? at, ...optional('chargeId', chargeId) },
        intentMismatches: sortedUnion(
          facts.intentMismatches,
          paymentIntentMismatches(order, event.intent, context.storeId),
        ),
      };
    }
    case 'payment_failed':
      return {
        ...facts,
        failedAttempts: mergeById(
          facts.failedAttempts,
          [{ id: event.attemptId, at: iso(event.at), ...optional('code', event.failureCode) }],
          (a, b) => {
            const code = minDefined(a.code, b.code);
            return { id: a.id, at: minString(a.at, b.at), ...optional('code', code) };
          },
        ),
      };
    case 'captured': {
      const at = iso(event.at);
      const previous = facts.capture;
      return {
        ...facts,
        capture: {
          at: minDefined(previous?.at, at) ?? at,
          amount: Math.max(previous?.amount ?? 0, event.amount),
        },
      };
    }
    case 'canceled': {
      const at = iso(event.at);
      const reason = minDefined(facts.intentCanceled?.reason, event.cancellationReason ?? undefined);
      return {
        ...facts,
        intentCanceled: { at: minDefined(facts.intentCanceled?.at, at) ?? at, ...optional('reason', reason) },
      };
    }
    case 'refunds_observed':
      return {
        ...facts,
        refunds: mergeById(
          facts.refunds,
          event.refunds.map((refund) => ({
            id: refund.id,
            amount: refund.amount,
            status: refund.status,
            created: iso(refund.created),
          })),
          (a, b) => ({
            id: a.id,
            amount: Math.max(a.amount, b.amount),
            status: furthest(refundStatusOrder, a.status, b.status),
            created: minString(a.created, b.created),
          }),
        ),
      };
    case 'dispute_observed': {
      const { dispute } = event;
      return {
        ...facts,
        disputes: mergeById(
          facts.disputes,
          [
            {
              id: dispute.id,
              amount: dispute.amount,
              status: dispute.status,
              created: iso(dispute.created),
              statusAt: iso(event.at),
            },
          ],
          (a, b) => {
            const status = furthest(disputeStatusOrder, a.status, b.status);
            const statusAt =
              a.status === b.status
                ? minString(a.statusAt, b.statusAt)
                : status === a.status
                  ? a.statusAt
                  : b.statusAt;
            return {
              id: a.id,
              amount: Math.max(a.amount, b.amount),
              status,
              created: minString(a.created, b.created),
              statusAt,
            };
          },
        ),
      };
    }
    case 'early_fraud_warning': {
      const { warning } = event;
      return {
        ...facts,
        earlyFraudWarnings: mergeById(
          facts.earlyFraudWarnings,
          [{ id: warning.id, actionable: warning.actionable, created: iso(warning.created) }],
          (a, b) => ({
            id: a.id,
            // Stripe clears `actionable` once the charge is refunded or disputed; having been
            // actionable is what matters, and it keeps the merge monotonic.
            actionable: a.actionable || b.actionable,
            created: minString(a.created, b.created),
          }),
        ),
      };
    }
    case 'fraud_decided': {
      const decision = canonicalDecision(event.decision);
      const key = decisionKey(decision);
      if (facts.decisions.some((known) => decisionKey(known) === key)) return facts;
      return {
        ...facts,
        decisions: [...facts.decisions, decision].sort((a, b) =>
          compareStrings(decisionKey(a), decisionKey(b)),
        ),
      };
    }
    case 'review_timed_out': {
      const at = iso(event.at);
      return { ...facts, reviewTimedOutAt: minDefined(facts.reviewTimedOutAt, at) ?? at };
    }
  }
}

function canonicalDecision(decision: FraudDecisionFact): PaymentFacts['decisions'][number] {
  return {
    decision: decision.decision,
    score: decision.score,
    reasons: decision.reasons.map(({ rule, points, detail }) => ({ rule, points, detail })),
    decidedAt: iso(decision.decidedAt),
    decidedBy: decision.decidedBy,
    ...optional('note', decision.note),
  };
}

/**
 * Identifies a decision whatever its key order (DynamoDB does not keep the key order of a map);
 * starts with the time, so the facts' array reads chronologically.
 */
function decisionKey(decision: PaymentFacts['decisions'][number]): string {
  return `${decision.decidedAt}\u0000${canonical(decision)}`;
}

// ---------------------------------------------------------------------------------------------
// Derivation

interface Cancellation {
  readonly at: string;
  readonly reason: CancelReason;
  readonly detail: string;
}

interface Derived {
  readonly status: OrderStatus;
  readonly paymentStatus: PaymentStatus;
  readonly fraudStatus: FraudStatus;
  readonly captured: number;
  readonly refunded: number;
  readonly disputed: boolean;
  readonly cancellation: Cancellation | undefined;
  readonly holdReason: HoldReason | undefined;
  readonly fraud: FraudAssessment | undefined;
  readonly authorized: boolean;
  readonly approved: boolean;
  readonly rejected: boolean;
}

const refundStatusOrder: readonly RefundStatus[] = refundStatuses;
const refundsNotCounted: ReadonlySet<RefundStatus> = new Set(['canceled', 'failed']);

const disputeStatusOrder: readonly DisputeStatus[] = disputeStatuses;
/** Closed without the money lost: the dispute no longer counts in `paymentStatus`. */
const disputesSettled: ReadonlySet<DisputeStatus> = new Set(['warning_closed', 'prevented', 'won']);
const disputesClosed: ReadonlySet<DisputeStatus> = new Set(['warning_closed', 'prevented', 'won', 'lost']);

/** Why the order is cancelled, if it is: the earliest of this machine's or the store's reasons. */
function cancellationOf(facts: PaymentFacts): Cancellation | undefined {
  const own: Cancellation[] = [];
  if (facts.orderCancelled !== undefined) {
    const { at, reason, detail } = facts.orderCancelled;
    own.push({ at, reason, detail: detail ?? reason });
  }
  own.push(...rejectionsOf(facts));
  const earliest = own.sort(compareCancellations)[0];
  if (earliest !== undefined) return earliest;
  if (facts.intentCanceled === undefined) return undefined;
  const reason = cancelReasonOfIntent(facts.intentCanceled.reason);
  return { at: facts.intentCanceled.at, reason, detail: reason };
}

/**
 * The order's reason for a PaymentIntent cancelled before the order itself was: Stripe's
 * `cancellation_reason`, which Sales Ops sets to mirror its own reasons (the sweeper cancels
 * expired reservations as `abandoned`, a store's cancel is `requested_by_customer`). The webhook
 * of that cancellation can land before the canceller's own write, and the order must end with the
 * same reason whichever comes first. Stripe cancels a lapsed authorisation itself (`automatic`).
 */
function cancelReasonOfIntent(stripeReason: string | undefined): CancelReason {
  switch (stripeReason) {
    case 'automatic':
      return 'authorization_expired';
    case 'abandoned':
      return 'payment_expired';
    case 'requested_by_customer':
      return 'requested';
    case 'fraudulent':
      return 'fraud_rejected';
    default:
      return 'payment_canceled';
  }
}

/** The rejections among the facts: a rules or reviewer `reject`, a review timeout. */
function rejectionsOf(facts: PaymentFacts): (Cancellation & { reason: keyof typeof cancellationReasons })[] {
  const rejections: (Cancellation & { reason: keyof typeof cancellationReasons })[] = facts.decisions
    .filter((decision) => decision.decision === 'reject')
    .map((decision) => {
      const reason = decision.decidedBy === 'rules' ? 'fraud_rejected' : 'review_rejected';
      return { at: decision.decidedAt, reason, detail: reason };
    });
  if (facts.reviewTimedOutAt !== undefined) {
    rejections.push({ at: facts.reviewTimedOutAt, reason: 'review_timeout', detail: 'review_timeout' });
  }
  return rejections.sort(compareCancellations);
}

function compareCancellations(a: Cancellation, b: Cancellation): number {
  return (
    compareStrings(a.at, b.at) || compareStrings(a.reason, b.reason) || compareStrings(a.detail, b.detail)
  );
}

const decisionRank = { review: 1, approve: 2, reject: 3 } as const;

/** The decision shown as `fraud`: the one that rules (reject > approve > review), a reviewer's first. */
function shownDecision(facts: PaymentFacts): FraudAssessment | undefined {
  const [best] = [...facts.decisions].sort(
    (a, b) =>
      decisionRank[b.decision] - decisionRank[a.decision] ||
      (a.decidedBy === b.decidedBy ? 0 : a.decidedBy === 'reviewer' ? -1 : 1) ||
      compareStrings(decisionKey(a), decisionKey(b)),
  );
  if (best === undefined) return undefined;
  const { note: _note, ...assessment } = best;
  return assessment;
}

function derive(facts: PaymentFacts): Derived {
  const captured = facts.capture?.amount ?? 0;
  const refunded = facts.refunds
    .filter((refund) => !refundsNotCounted.has(refund.status))
    .reduce((sum, refund) => sum + refund.amount, 0);
  const disputed = facts.disputes.some((dispute) => !disputesSettled.has(dispute.status));
  const authorized = facts.authorization !== undefined;
  const cancellation = cancellationOf(facts);
  const cancelled = cancellation !== undefined;
  const rejected = rejectionsOf(facts).length > 0;
  const approved = facts.decisions.some((decision) => decision.decision === 'approve');
  const inReview = facts.decisions.some((decision) => decision.decision === 'review');
  const mismatch = facts.intentMismatches.length > 0;

  let paymentStatus: PaymentStatus;
  if (disputed) paymentStatus = 'disputed';
  else if (refunded > 0) paymentStatus = refunded >= captured ? 'refunded' : 'partially_refunded';
  else if (captured > 0) paymentStatus = 'captured';
  else if (cancelled) paymentStatus = 'cancelled';
  else if (authorized) paymentStatus = 'authorized';
  else paymentStatus = 'requires_payment';

  let fraudStatus: FraudStatus;
  if (rejected) fraudStatus = 'rejected';
  else if (approved) fraudStatus = 'approved';
  else if (inReview) fraudStatus = 'review';
  else if (authorized && !cancelled) fraudStatus = 'pending';
  else fraudStatus = 'not_screened';

  let status: OrderStatus;
  let holdReason: HoldReason | undefined;
  if (cancelled) status = 'cancelled';
  else if (captured > 0) status = 'paid';
  else if (!authorized) status = 'pending_payment';
  else if (mismatch) {
    status = 'on_hold';
    holdReason = 'payment_mismatch';
  } else if (fraudStatus === 'review') {
    status = 'on_hold';
    holdReason = 'fraud_review';
  } else status = 'processing';

  return {
    status,
    paymentStatus,
    fraudStatus,
    captured,
    refunded,
    disputed,
    cancellation,
    holdReason,
    fraud: shownDecision(facts),
    authorized,
    approved,
    rejected,
  };
}

/** The timeline entries the facts stand for; a pure function of them, so deliveries cannot add more. */
function factEntries(facts: PaymentFacts, derived: Derived): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const entry = (at: string, type: string, detail?: string) =>
    entries.push({ at, type, ...optional('detail', detail) });
  if (facts.authorization !== undefined) {
    entry(facts.authorization.at, 'payment_authorized');
    if (facts.intentMismatches.length > 0) {
      entry(facts.authorization.at, 'payment_mismatch', facts.intentMismatches.join(', '));
    }
  }
  for (const attempt of facts.failedAttempts) entry(attempt.at, 'payment_failed', attempt.code);
  for (const decision of facts.decisions) {
    const detail = `${decision.decision}, score ${decision.score}`;
    if (decision.decidedBy === 'rules') entry(decision.decidedAt, 'fraud_screened', detail);
    else
      entry(
        decision.decidedAt,
        'review_decided',
        decision.note === undefined ? detail : `${detail}: ${decision.note}`,
      );
  }
  if (facts.reviewTimedOutAt !== undefined) entry(facts.reviewTimedOutAt, 'review_timed_out');
  if (facts.capture !== undefined) entry(facts.capture.at, 'payment_captured', String(facts.capture.amount));
  if (facts.intentCanceled !== undefined) {
    entry(facts.intentCanceled.at, 'payment_canceled', facts.intentCanceled.reason);
  }
  if (derived.cancellation !== undefined) {
    entry(derived.cancellation.at, 'cancelled', derived.cancellation.detail);
  }
  for (const refund of facts.refunds)
    entry(refund.created, 'refund', `${refund.id}: ${refund.amount} ${refund.status}`);
  for (const dispute of facts.disputes) {
    entry(dispute.created, 'dispute_opened', `${dispute.id}: ${dispute.amount}`);
    if (disputesClosed.has(dispute.status))
      entry(dispute.statusAt, 'dispute_closed', `${dispute.id}: ${dispute.status}`);
  }
  for (const warning of facts.earlyFraudWarnings) {
    entry(
      warning.created,
      'early_fraud_warning',
      warning.actionable ? `${warning.id}: actionable` : warning.id,
    );
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Effects

interface Predicates {
  readonly screeningDue: boolean;
  readonly captureDue: boolean;
  readonly cancelDue: boolean;
  readonly cancelled: boolean;
  readonly fullRefundOwed: boolean;
  readonly disputeSeen: boolean;
}

/**
 * Each predicate rises at most once, whatever the order of facts: it is the conjunction of facts
 * that can only appear and conditions that can only stop holding (see the module comment).
 */
function predicates(facts: PaymentFacts, derived: Derived): Predicates {
  const cancelled = derived.cancellation !== undefined;
  const notCaptured = derived.captured === 0;
  return {
    screeningDue: derived.authorized && !cancelled && notCaptured && facts.decisions.length === 0,
    captureDue:
      derived.authorized &&
      derived.approved &&
      !cancelled &&
      notCaptured &&
      facts.intentMismatches.length === 0,
    cancelDue: derived.rejected && facts.intentCanceled === undefined && notCaptured,
    cancelled,
    fullRefundOwed:
      derived.captured > 0 && (cancelled || facts.earlyFraudWarnings.some((warning) => warning.actionable)),
    disputeSeen: facts.disputes.length > 0,
  };
}

function effectsBetween(
  order: Order,
  event: PaymentEvent,
  before: Predicates,
  after: Predicates,
  facts: PaymentFacts,
  derived: Derived,
): PaymentEffect[] {
  const rose = (name: keyof Predicates) => !before[name] && after[name];
  const paymentIntentId = order.payment.paymentIntentId;
  const chargeId = facts.authorization?.chargeId;
  const effects: PaymentEffect[] = [];
  if (rose('cancelDue')) {
    const [first] = rejectionsOf(facts);
    if (first !== undefined) {
      effects.push({
        kind: 'cancel_payment_intent',
        paymentIntentId,
        reason: cancellationReasons[first.reason],
      });
    }
  }
  if (rose('cancelled')) {
    effects.push({
      kind: 'release_stock',
      lines: order.lines.map(({ sku, quantity }) => ({ sku, quantity })),
      ...optional('couponCode', order.couponCode),
    });
  }
  if (rose('captureDue')) effects.push({ kind: 'capture', paymentIntentId, amount: order.amounts.total });
  if (rose('screeningDue')) {
    effects.push({ kind: 'queue_fraud_screening', paymentIntentId, ...optional('chargeId', chargeId) });
  }
  if (rose('fullRefundOwed')) {
    const remaining = derived.captured - derived.refunded;
    // A disputed charge cannot be refunded: the dispute already takes the money back.
    if (remaining > 0 && !derived.disputed) {
      const warning = facts.earlyFraudWarnings.find((item) => item.actionable);
      effects.push({
        kind: 'refund_in_full',
        paymentIntentId,
        ...optional('chargeId', chargeId),
        amount: remaining,
        reason: warning === undefined ? 'cancelled_order_captured' : 'early_fraud_warning',
        ...optional('earlyFraudWarningId', warning?.id),
      });
    }
  }
  if (rose('disputeSeen')) {
    const dispute = event.kind === 'dispute_observed' ? event : undefined;
    const first = facts.disputes[0];
    if (first !== undefined) {
      effects.push({
        kind: 'record_prior_dispute',
        email: normalizeEmail(order.customer.email),
        disputeId: first.id,
        ...optional('chargeId', dispute?.dispute.chargeId ?? chargeId),
        ...optional('cardFingerprint', dispute?.cardFingerprint),
      });
    }
  }
  return effects;
}

// ---------------------------------------------------------------------------------------------
// The machine

/**
 * Applies one payment event to the order: merges it into the order's facts, derives the order
 * from them, and returns the effects that the change calls for. A duplicate or stale event
 * returns the same order, `changed: false` and no effects.
 */
export function applyPaymentEvent(
  order: Order,
  event: PaymentEvent,
  context: PaymentContext,
): PaymentTransition {
  const stored = paymentFactsOf(order);
  const current = withLegacyAuthorization(order, stored);
  const facts = mergeEvent(current, event, order, context);
  const updatedAt = maxString(iso(order.updatedAt), iso(eventTime(event)));
  if (
    order.paymentFacts !== undefined &&
    canonical(facts) === canonical(order.paymentFacts) &&
    updatedAt === iso(order.updatedAt)
  ) {
    return { order, effects: [], changed: false };
  }

  const storedDerived = derive(stored);
  const derived = derive(facts);
  const timeline = replaceDerivedEntries(
    order.timeline,
    factEntries(stored, storedDerived),
    factEntries(facts, derived),
  );

  const { cancelReason: _cancelReason, holdReason: _holdReason, fraud: _fraud, ...rest } = order;
  const next: Order = {
    ...rest,
    status: derived.status,
    paymentStatus: derived.paymentStatus,
    fraudStatus: derived.fraudStatus,
    amounts: { ...order.amounts, captured: derived.captured, refunded: derived.refunded },
    ...optional('fraud', derived.fraud),
    ...optional('holdReason', derived.holdReason),
    ...optional('cancelReason', derived.cancellation?.reason),
    paymentFacts: facts,
    timeline,
    updatedAt,
  };
  const effects = effectsBetween(
    order,
    event,
    predicates(stored, storedDerived),
    predicates(facts, derived),
    facts,
    derived,
  );
  return { order: next, effects, changed: true };
}

/** The time an event happened, as it is recorded. */
export function eventTime(event: PaymentEvent): string {
  return event.kind === 'fraud_decided' ? event.decision.decidedAt : event.at;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** RFC 3339 in one canonical form (milliseconds, `Z`), so timestamps compare as strings. */
function iso(timestamp: string): string {
  return new Date(timestamp).toISOString();
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function minString(a: string, b: string): string {
  return a <= b ? a : b;
}

function maxString(a: string, b: string): string {
  return a >= b ? a : b;
}

function minDefined(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return minString(a, b);
}

/** The status furthest along `order`; ties cannot happen, as the statuses are distinct. */
function furthest<S extends string>(order: readonly S[], a: S, b: S): S {
  return order.indexOf(b) > order.indexOf(a) ? b : a;
}

function sortedUnion(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort(compareStrings);
}

/** Merges items by id with `merge` (commutative), keeping the array sorted by id. */
function mergeById<T extends { readonly id: string }>(
  known: readonly T[],
  observed: readonly T[],
  merge: (a: T, b: T) => T,
): T[] {
  const byId = new Map(known.map((item) => [item.id, item]));
  for (const item of observed) {
    const previous = byId.get(item.id);
    byId.set(item.id, previous === undefined ? item : merge(previous, item));
  }
  return [...byId.values()].sort((a, b) => compareStrings(a.id, b.id));
}

/** `{ [key]: value }`, or `{}` when the value is undefined (DynamoDB stores no undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** JSON with object keys sorted, to compare facts whatever the key order they were built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => compareStrings(a, b)))
      : item,
  );
}
