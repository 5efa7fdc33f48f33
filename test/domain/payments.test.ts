import { describe, expect, it } from 'vitest';
import { cancelOrder, newOrder, Order } from '../../functions/domain/order.ts';
import {
  applyPaymentEvent,
  type FraudDecisionFact,
  failedAttemptCount,
  type PaymentEffect,
  type PaymentEvent,
  type PaymentIntentSnapshot,
  paymentIntentMatches,
  paymentIntentMismatches,
} from '../../functions/domain/payments.ts';

const storeId = 'str_1';
const context = { storeId };

function placedOrder(): Order {
  return newOrder({
    id: 'ord_1',
    request: {
      currency: 'usd',
      customer: { email: ' Ada@Example.com', type: 'b2c', marketingConsent: false },
      shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
      couponCode: 'WELCOME',
    },
    price: {
      lines: [
        { sku: 'A', name: 'A', quantity: 2, unitAmount: 1500, amount: 3000 },
        { sku: 'B', name: 'B', quantity: 1, unitAmount: 2000, amount: 2000 },
      ],
      subtotal: 5000,
      discount: 0,
      shipping: 0,
      tax: 0,
      total: 5000,
    },
    paymentIntentId: 'pi_1',
    reservationMinutes: 30,
    now: new Date('2026-11-28T10:00:00.000Z'),
  });
}

const t = (minute: number) => new Date(Date.UTC(2026, 10, 28, 10, minute)).toISOString();

const intent: PaymentIntentSnapshot = {
  id: 'pi_1',
  amount: 5000,
  currency: 'usd',
  metadata: { orderId: 'ord_1', storeId },
};
const authorized = (overrides: Partial<PaymentIntentSnapshot> = {}, at = t(2)): PaymentEvent => ({
  kind: 'authorized',
  at,
  intent: { ...intent, ...overrides },
  chargeId: 'ch_1',
});
const decided = (
  decision: FraudDecisionFact['decision'],
  decidedBy: FraudDecisionFact['decidedBy'] = 'rules',
  at = t(3),
  note?: string,
): PaymentEvent => ({
  kind: 'fraud_decided',
  decision: {
    decision,
    score: decision === 'approve' ? 0 : decision === 'review' ? 50 : 80,
    reasons:
      decision === 'approve'
        ? []
        : [{ rule: 'stripe_risk', points: 50, detail: 'Radar risk level elevated' }],
    decidedAt: at,
    decidedBy,
    ...(note === undefined ? {} : { note }),
  },
});
const captured = (amount = 5000, at = t(4)): PaymentEvent => ({ kind: 'captured', at, amount });
const refunds = (
  at: string,
  ...list: [id: string, amount: number, status: 'pending' | 'succeeded' | 'failed' | 'canceled'][]
): PaymentEvent => ({
  kind: 'refunds_observed',
  at,
  // A refund's `created` never changes: re_1 was created at minute 11, re_2 at minute 12.
  refunds: list.map(([id, amount, status]) => ({ id, amount, status, created: t(10 + Number(id.slice(3))) })),
});
const dispute = (
  status: 'needs_response' | 'under_review' | 'won' | 'lost',
  at: string,
  id = 'dp_1',
): PaymentEvent => ({
  kind: 'dispute_observed',
  at,
  dispute: { id, amount: 5000, status, created: t(20), chargeId: 'ch_1' },
  cardFingerprint: 'fp_visa',
});

/** Applies events in order, collecting every effect. */
function run(events: readonly PaymentEvent[], start: Order = placedOrder()) {
  let order = start;
  const effects: PaymentEffect[] = [];
  for (const event of events) {
    const next = applyPaymentEvent(order, event, context);
    order = next.order;
    effects.push(...next.effects);
  }
  return { order, effects, kinds: effects.map((effect) => effect.kind) };
}

describe('authorisation and screening', () => {
  it('authorised → processing, screening queued once', () => {
    const first = applyPaymentEvent(placedOrder(), authorized(), context);
    expect(first.order).toMatchObject({
      status: 'processing',
      paymentStatus: 'authorized',
      fraudStatus: 'pending',
    });
    expect(first.effects).toEqual([
      { kind: 'queue_fraud_screening', paymentIntentId: 'pi_1', chargeId: 'ch_1' },
    ]);
    expect(first.changed).toBe(true);
    expect(Order().parse(first.order)).toEqual(first.order);

    const again = applyPaymentEvent(first.order, authorized(), context);
    expect(again).toEqual({ order: first.order, effects: [], changed: false });
    expect(again.order).toBe(first.order);
  });

  it('approved by the rules → capture of the order total; captured → paid', () => {
    const approved = run([authorized(), decided('approve')]);
    expect(approved.kinds).toEqual(['queue_fraud_screening', 'capture']);
    expect(approved.effects[1]).toEqual({ kind: 'capture', paymentIntentId: 'pi_1', amount: 5000 });
    expect(approved.order).toMatchObject({ status: 'processing', fraudStatus: 'approved' });
    expect(approved.order.fraud).toEqual({
      decision: 'approve',
      score: 0,
      reasons: [],
      decidedAt: t(3),
      decidedBy: 'rules',
    });

    const paid = run([captured()], approved.order);
    expect(paid.kinds).toEqual([]);
    expect(paid.order).toMatchObject({
      status: 'paid',
      paymentStatus: 'captured',
      amounts: { captured: 5000, refunded: 0 },
    });
    expect(paid.order.timeline.map((entry) => entry.type)).toEqual([
      'created',
      'payment_authorized',
      'fraud_screened',
      'payment_captured',
    ]);
  });

  it('a failed attempt leaves the order pending_payment; a retry then pays', () => {
    const failed = run([
      { kind: 'payment_failed', at: t(1), attemptId: 'ch_0', failureCode: 'card_declined' },
      { kind: 'payment_failed', at: t(1), attemptId: 'ch_0', failureCode: 'card_declined' },
    ]);
    expect(failed.order).toMatchObject({ status: 'pending_payment', paymentStatus: 'requires_payment' });
    expect(failed.kinds).toEqual([]);
    expect(failed.order.timeline.filter((entry) => entry.type === 'payment_failed')).toEqual([
      { at: t(1), type: 'payment_failed', detail: 'card_declined' },
    ]);
    expect(failedAttemptCount(failed.order)).toBe(1);

    const retried = run(
      [
        { kind: 'payment_failed', at: t(1), attemptId: 'ch_00' },
        authorized(),
        decided('approve'),
        captured(),
      ],
      failed.order,
    );
    expect(failedAttemptCount(retried.order)).toBe(2);
    expect(retried.order.status).toBe('paid');
    expect(retried.kinds).toEqual(['queue_fraud_screening', 'capture']);
  });

  it('a late failure does not undo an authorisation', () => {
    const { order } = run([authorized(), { kind: 'payment_failed', at: t(1), attemptId: 'ch_0' }]);
    expect(order).toMatchObject({ status: 'processing', paymentStatus: 'authorized' });
  });
});

describe('review', () => {
  it('review → on_hold; a reviewer approval captures', () => {
    const held = run([authorized(), decided('review')]);
    expect(held.order).toMatchObject({
      status: 'on_hold',
      holdReason: 'fraud_review',
      fraudStatus: 'review',
    });
    expect(held.kinds).toEqual(['queue_fraud_screening']);

    const approved = run([decided('approve', 'reviewer', t(30), 'known customer')], held.order);
    expect(approved.kinds).toEqual(['capture']);
    expect(approved.order).toMatchObject({ status: 'processing', fraudStatus: 'approved' });
    expect(approved.order.holdReason).toBeUndefined();
    expect(approved.order.fraud).toMatchObject({ decision: 'approve', decidedBy: 'reviewer' });
    expect(approved.order.timeline.at(-1)).toEqual({
      at: t(30),
      type: 'review_decided',
      detail: 'approve, score 0: known customer',
    });
  });

  it('a reviewer rejection cancels with requested_by_customer and releases the stock', () => {
    const { order, effects } = run([authorized(), decided('review'), decided('reject', 'reviewer', t(30))]);
    expect(effects.slice(1)).toEqual([
      { kind: 'cancel_payment_intent', paymentIntentId: 'pi_1', reason: 'requested_by_customer' },
      {
        kind: 'release_stock',
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        couponCode: 'WELCOME',
      },
    ]);
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'review_rejected',
      fraudStatus: 'rejected',
      paymentStatus: 'cancelled',
    });
  });

  it('a review timeout cancels with abandoned', () => {
    const { order, effects } = run([
      authorized(),
      decided('review'),
      { kind: 'review_timed_out', at: t(90) },
    ]);
    expect(effects.map((effect) => effect.kind)).toEqual([
      'queue_fraud_screening',
      'cancel_payment_intent',
      'release_stock',
    ]);
    expect(effects[1]).toMatchObject({ reason: 'abandoned' });
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'review_timeout',
      fraudStatus: 'rejected',
    });
    expect(order.fraud?.decision).toBe('review');
  });
});

describe('rejection and cancellation', () => {
  it('a rules rejection cancels as fraudulent, releases the stock once, and nothing revives it', () => {
    const rejected = run([authorized(), decided('reject')]);
    expect(rejected.kinds).toEqual(['queue_fraud_screening', 'cancel_payment_intent', 'release_stock']);
    expect(rejected.effects[1]).toMatchObject({ reason: 'fraudulent' });
    expect(rejected.order).toMatchObject({
      status: 'cancelled',
      paymentStatus: 'cancelled',
      fraudStatus: 'rejected',
      cancelReason: 'fraud_rejected',
    });

    const after = run(
      [
        { kind: 'canceled', at: t(5), cancellationReason: 'fraudulent' },
        authorized(),
        decided('approve', 'reviewer', t(6)),
        decided('reject'),
      ],
      rejected.order,
    );
    expect(after.kinds).toEqual([]);
    expect(after.order).toMatchObject({ status: 'cancelled', cancelReason: 'fraud_rejected' });
  });

  it('money captured despite a rejection: still cancelled, paymentStatus follows the money, refunded in full', () => {
    const conflict = run([authorized(), decided('reject'), captured(5000, t(5))]);
    expect(conflict.order).toMatchObject({
      status: 'cancelled',
      paymentStatus: 'captured',
      amounts: { captured: 5000 },
    });
    expect(conflict.effects.at(-1)).toEqual({
      kind: 'refund_in_full',
      paymentIntentId: 'pi_1',
      chargeId: 'ch_1',
      amount: 5000,
      reason: 'cancelled_order_captured',
    });
    expect(conflict.kinds.filter((kind) => kind === 'release_stock')).toHaveLength(1);

    const refunded = run([refunds(t(12), ['re_1', 5000, 'succeeded']), captured(5000, t(5))], conflict.order);
    expect(refunded.kinds).toEqual([]);
    expect(refunded.order).toMatchObject({ status: 'cancelled', paymentStatus: 'refunded' });
  });

  it('the PaymentIntent cancelled by Stripe: automatic → authorization_expired, otherwise payment_canceled', () => {
    const expired = run([
      authorized(),
      decided('review'),
      { kind: 'canceled', at: t(9), cancellationReason: 'automatic' },
    ]);
    expect(expired.kinds).toEqual(['queue_fraud_screening', 'release_stock']);
    expect(expired.order).toMatchObject({ status: 'cancelled', cancelReason: 'authorization_expired' });

    const abandoned = run([{ kind: 'canceled', at: t(9), cancellationReason: null }]);
    expect(abandoned.kinds).toEqual(['release_stock']);
    expect(abandoned.order).toMatchObject({
      status: 'cancelled',
      paymentStatus: 'cancelled',
      fraudStatus: 'not_screened',
      cancelReason: 'payment_canceled',
    });
    const late = run([authorized()], abandoned.order);
    expect(late.kinds).toEqual([]);
    expect(late.order.status).toBe('cancelled');
  });

  it.each([
    ['abandoned', 'payment_expired'],
    ['requested_by_customer', 'requested'],
    ['fraudulent', 'fraud_rejected'],
    ['duplicate', 'payment_canceled'],
  ] as const)(
    'a PaymentIntent cancelled as %s before its canceller wrote the order: %s',
    (stripeReason, reason) => {
      // The sweeper and the store cancel the PaymentIntent first; its webhook may win the race.
      const { order, kinds } = run([{ kind: 'canceled', at: t(9), cancellationReason: stripeReason }]);
      expect(kinds).toEqual(['release_stock']);
      expect(order).toMatchObject({ status: 'cancelled', cancelReason: reason });
    },
  );

  it('a cancellation by the store (cancelOrder) released the stock already: no second release', () => {
    const cancelled = cancelOrder(placedOrder(), 'requested', new Date(t(1)), 'customer asked');
    const { order, kinds } = run(
      [{ kind: 'canceled', at: t(2), cancellationReason: 'requested_by_customer' }],
      cancelled,
    );
    expect(kinds).toEqual([]);
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'requested',
      paymentStatus: 'cancelled',
    });
    expect(order.timeline).toEqual([
      { at: t(0), type: 'created' },
      { at: t(1), type: 'cancelled', detail: 'requested: customer asked' },
      { at: t(2), type: 'payment_canceled', detail: 'requested_by_customer' },
    ]);
    const again = run([{ kind: 'canceled', at: t(2), cancellationReason: 'requested_by_customer' }], order);
    expect(again.order).toBe(order);
  });

  it('an order the sweeper found authorised is screened on its first payment event', () => {
    const swept: Order = {
      ...placedOrder(),
      status: 'processing',
      paymentStatus: 'authorized',
      timeline: [
        { at: t(0), type: 'created' },
        { at: t(31), type: 'payment_authorized', detail: 'found authorised at reservation expiry' },
      ],
      updatedAt: t(31),
    };
    const { order, kinds } = run([authorized(), authorized(), decided('approve', 'rules', t(32))], swept);
    expect(kinds).toEqual(['queue_fraud_screening', 'capture']);
    expect(order.status).toBe('processing');
    expect(order.updatedAt).toBe(t(32));
  });
});

describe('matching the PaymentIntent', () => {
  it('checks id, amount, currency and the metadata', () => {
    const order = placedOrder();
    expect(paymentIntentMatches(order, intent, storeId)).toBe(true);
    expect(paymentIntentMatches(order, intent, 'str_other')).toBe(false);
    expect(paymentIntentMismatches(order, { ...intent, currency: 'USD' }, storeId)).toEqual([]);
    expect(
      paymentIntentMismatches(
        order,
        { id: 'pi_2', amount: 4999, currency: 'eur', metadata: { orderId: 'ord_2' } },
        storeId,
      ),
    ).toEqual(['id', 'amount', 'currency', 'metadata.orderId', 'metadata.storeId']);
  });

  it('a mismatching PaymentIntent puts the order on hold and is never captured', () => {
    const held = run([
      authorized({ amount: 4000 }),
      decided('approve'),
      decided('approve', 'reviewer', t(40)),
    ]);
    expect(held.kinds).toEqual(['queue_fraud_screening']);
    expect(held.order).toMatchObject({ status: 'on_hold', holdReason: 'payment_mismatch' });
    expect(held.order.timeline).toContainEqual({ at: t(2), type: 'payment_mismatch', detail: 'amount' });

    const rejected = run([decided('reject', 'reviewer', t(50))], held.order);
    expect(rejected.kinds).toEqual(['cancel_payment_intent', 'release_stock']);
    expect(rejected.order.status).toBe('cancelled');
  });
});

describe('refunds', () => {
  const paid = () => run([authorized(), decided('approve'), captured()]).order;

  it('follow what Stripe reports now, each by its id, statuses only moving forward', () => {
    const partial = run([refunds(t(11), ['re_1', 1000, 'pending'])], paid());
    expect(partial.order).toMatchObject({
      paymentStatus: 'partially_refunded',
      status: 'paid',
      amounts: { refunded: 1000 },
    });

    const full = run(
      [
        refunds(t(12), ['re_1', 1000, 'succeeded'], ['re_2', 4000, 'pending']),
        refunds(t(11), ['re_1', 1000, 'pending']),
      ],
      partial.order,
    );
    expect(full.order).toMatchObject({ paymentStatus: 'refunded', amounts: { refunded: 5000 } });
    expect(full.order.paymentFacts?.refunds.map((refund) => refund.status)).toEqual(['succeeded', 'pending']);

    const failed = run([refunds(t(13), ['re_1', 1000, 'succeeded'], ['re_2', 4000, 'failed'])], full.order);
    expect(failed.order).toMatchObject({ paymentStatus: 'partially_refunded', amounts: { refunded: 1000 } });
    const stale = run([refunds(t(11), ['re_2', 4000, 'pending'])], failed.order);
    expect(stale.order.amounts.refunded).toBe(1000);
    expect(stale.order.timeline.filter((entry) => entry.type === 'refund')).toEqual([
      { at: t(11), type: 'refund', detail: 're_1: 1000 succeeded' },
      { at: t(12), type: 'refund', detail: 're_2: 4000 failed' },
    ]);
    expect([partial, full, failed, stale].flatMap((step) => step.kinds)).toEqual([]);
  });
});

describe('disputes and early fraud warnings', () => {
  const paid = () => run([authorized(), decided('approve'), captured()]).order;

  it('an open dispute → disputed, recorded as a prior dispute once; won → no longer counts', () => {
    const opened = run([dispute('needs_response', t(20))], paid());
    expect(opened.order.paymentStatus).toBe('disputed');
    expect(opened.effects).toEqual([
      {
        kind: 'record_prior_dispute',
        email: 'ada@example.com',
        disputeId: 'dp_1',
        chargeId: 'ch_1',
        cardFingerprint: 'fp_visa',
      },
    ]);

    const won = run(
      [dispute('under_review', t(21)), dispute('won', t(25)), dispute('needs_response', t(20))],
      opened.order,
    );
    expect(won.kinds).toEqual([]);
    expect(won.order.paymentStatus).toBe('captured');
    expect(won.order.timeline.slice(-2)).toEqual([
      { at: t(20), type: 'dispute_opened', detail: 'dp_1: 5000' },
      { at: t(25), type: 'dispute_closed', detail: 'dp_1: won' },
    ]);

    const second = run([dispute('lost', t(30), 'dp_2')], won.order);
    expect(second.kinds).toEqual([]);
    expect(second.order.paymentStatus).toBe('disputed');
  });

  it('a lost dispute stays disputed, even over refunds', () => {
    const { order } = run([refunds(t(11), ['re_1', 5000, 'succeeded']), dispute('lost', t(25))], paid());
    expect(order.paymentStatus).toBe('disputed');
  });

  it('an actionable early fraud warning refunds what is left, once', () => {
    const warned = run(
      [
        refunds(t(11), ['re_1', 1000, 'succeeded']),
        {
          kind: 'early_fraud_warning',
          at: t(15),
          warning: { id: 'issfr_1', actionable: true, created: t(15) },
        },
        {
          kind: 'early_fraud_warning',
          at: t(16),
          warning: { id: 'issfr_1', actionable: false, created: t(15) },
        },
        {
          kind: 'early_fraud_warning',
          at: t(17),
          warning: { id: 'issfr_2', actionable: true, created: t(17) },
        },
      ],
      paid(),
    );
    expect(warned.effects).toEqual([
      {
        kind: 'refund_in_full',
        paymentIntentId: 'pi_1',
        chargeId: 'ch_1',
        amount: 4000,
        reason: 'early_fraud_warning',
        earlyFraudWarningId: 'issfr_1',
      },
    ]);
  });

  it('no refund for a warning that is not actionable, or on a disputed or fully refunded charge', () => {
    const warning = (actionable: boolean): PaymentEvent => ({
      kind: 'early_fraud_warning',
      at: t(15),
      warning: { id: 'issfr_1', actionable, created: t(15) },
    });
    expect(run([warning(false)], paid()).kinds).toEqual([]);
    expect(run([dispute('needs_response', t(14)), warning(true)], paid()).kinds).toEqual([
      'record_prior_dispute',
    ]);
    expect(run([refunds(t(11), ['re_1', 5000, 'pending']), warning(true)], paid()).kinds).toEqual([]);
  });

  it('a warning seen before the capture refunds once the capture is seen', () => {
    const { kinds } = run([
      authorized(),
      decided('approve'),
      { kind: 'early_fraud_warning', at: t(3), warning: { id: 'issfr_1', actionable: true, created: t(3) } },
      captured(),
      captured(),
    ]);
    expect(kinds).toEqual(['queue_fraud_screening', 'capture', 'refund_in_full']);
  });
});

describe('derived, not appended', () => {
  it('gives the same order for events in any order', () => {
    const events = [
      authorized(),
      decided('review'),
      decided('approve', 'reviewer', t(30)),
      captured(5000, t(31)),
      refunds(t(40), ['re_1', 500, 'succeeded']),
    ];
    const forward = run(events).order;
    const backward = run([...events].reverse()).order;
    expect(backward).toEqual(forward);
    expect(forward).toMatchObject({ status: 'paid', paymentStatus: 'partially_refunded', updatedAt: t(40) });
    expect(forward.timeline.map((entry) => entry.at)).toEqual(
      [...forward.timeline.map((entry) => entry.at)].sort(),
    );
  });

  it('recognises its own facts after a store that reorders object keys (DynamoDB maps)', () => {
    const { order } = run([
      authorized(),
      decided('review'),
      captured(),
      refunds(t(12), ['re_1', 100, 'pending']),
    ]);
    const reordered = reverseKeys(order) as Order;
    expect(reordered).toEqual(order);
    for (const event of [
      authorized(),
      decided('review'),
      captured(),
      refunds(t(12), ['re_1', 100, 'pending']),
    ]) {
      const next = applyPaymentEvent(reordered, event, context);
      expect(next.changed).toBe(false);
      expect(next.effects).toEqual([]);
    }
    expect(run([decided('review')], reordered).order.paymentFacts?.decisions).toHaveLength(1);
  });

  it('normalises timestamps, so a second-precision time equals its millisecond form', () => {
    const first = applyPaymentEvent(placedOrder(), authorized({}, '2026-11-28T10:02:00Z'), context);
    expect(first.order.paymentFacts?.authorization?.at).toBe(t(2));
    expect(applyPaymentEvent(first.order, authorized(), context).changed).toBe(false);
  });
});

/** A deep copy with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reverseKeys(item)]),
  );
}
