/**
 * The acceptance property of the payment state machine (issue 3): any permutation, with any
 * duplicates, of a valid event sequence gives the same final order, and each once-only effect
 * is asked for at most once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newOrder, type Order, type RefundStatus } from '../../functions/domain/order.ts';
import {
  applyPaymentEvent,
  type FraudDecisionFact,
  type PaymentEffect,
  type PaymentEvent,
} from '../../functions/domain/payments.ts';

const storeId = 'str_1';
const total = 5000;

const placed: Order = newOrder({
  id: 'ord_1',
  request: {
    currency: 'usd',
    customer: { email: 'Ada@Example.com', type: 'b2c', marketingConsent: false },
    shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  },
  price: {
    lines: [{ sku: 'A', name: 'A', quantity: 2, unitAmount: 2500, amount: total }],
    subtotal: total,
    discount: 0,
    shipping: 0,
    tax: 0,
    total,
  },
  paymentIntentId: 'pi_1',
  reservationMinutes: 30,
  now: new Date('2026-11-28T10:00:00.000Z'),
});

type Path =
  | 'declined'
  | 'declined_then_canceled'
  | 'approved'
  | 'review_approved'
  | 'review_rejected'
  | 'review_timed_out'
  | 'authorisation_expired'
  | 'rejected'
  | 'mismatch_rejected';

interface Scenario {
  readonly path: Path;
  readonly failures: number;
  readonly refunds: readonly { readonly amount: number; readonly status: RefundStatus }[];
  readonly dispute: 'none' | 'open' | 'won' | 'lost';
  readonly warning: 'none' | 'actionable' | 'not_actionable';
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  path: fc.constantFrom<Path>(
    'declined',
    'declined_then_canceled',
    'approved',
    'review_approved',
    'review_rejected',
    'review_timed_out',
    'authorisation_expired',
    'rejected',
    'mismatch_rejected',
  ),
  failures: fc.integer({ min: 0, max: 3 }),
  refunds: fc.array(
    fc.record({
      amount: fc.integer({ min: 1, max: total }),
      status: fc.constantFrom<RefundStatus>('pending', 'succeeded', 'failed', 'canceled'),
    }),
    { maxLength: 3 },
  ),
  dispute: fc.constantFrom('none', 'open', 'won', 'lost'),
  warning: fc.constantFrom('none', 'actionable', 'not_actionable'),
});

/** The events Stripe and the deciders would produce for the scenario, in the order they happen. */
function eventsOf(scenario: Scenario): PaymentEvent[] {
  let clock = 0;
  const tick = () => new Date(Date.UTC(2026, 10, 28, 10, 1, clock++)).toISOString();
  const events: PaymentEvent[] = [];
  const decide = (decision: FraudDecisionFact['decision'], decidedBy: FraudDecisionFact['decidedBy']) =>
    events.push({
      kind: 'fraud_decided',
      decision: {
        decision,
        score: { approve: 10, review: 50, reject: 90 }[decision],
        reasons: [{ rule: 'stripe_risk', points: 50, detail: 'Radar risk level elevated' }],
        decidedAt: tick(),
        decidedBy,
      },
    });
  const canceled = (cancellationReason: string | null) =>
    events.push({ kind: 'canceled', at: tick(), cancellationReason });

  const failures = scenario.path.startsWith('declined') ? Math.max(1, scenario.failures) : scenario.failures;
  for (let attempt = 0; attempt < failures; attempt++) {
    events.push({
      kind: 'payment_failed',
      at: tick(),
      attemptId: `ch_failed_${attempt}`,
      failureCode: 'card_declined',
    });
  }
  if (scenario.path === 'declined') return events;
  if (scenario.path === 'declined_then_canceled') {
    canceled('abandoned');
    return events;
  }

  const amount = scenario.path === 'mismatch_rejected' ? total - 1 : total;
  events.push({
    kind: 'authorized',
    at: tick(),
    intent: { id: 'pi_1', amount, currency: 'usd', metadata: { orderId: 'ord_1', storeId } },
    chargeId: 'ch_1',
  });
  switch (scenario.path) {
    case 'rejected':
      decide('reject', 'rules');
      canceled('fraudulent');
      return events;
    case 'review_rejected':
      decide('review', 'rules');
      decide('reject', 'reviewer');
      canceled('requested_by_customer');
      return events;
    case 'review_timed_out':
      decide('review', 'rules');
      events.push({ kind: 'review_timed_out', at: tick() });
      canceled('abandoned');
      return events;
    case 'authorisation_expired':
      decide('review', 'rules');
      canceled('automatic');
      return events;
    case 'mismatch_rejected':
      decide('approve', 'rules');
      decide('reject', 'reviewer');
      canceled('requested_by_customer');
      return events;
    case 'approved':
      decide('approve', 'rules');
      break;
    case 'review_approved':
      decide('review', 'rules');
      decide('approve', 'reviewer');
      break;
  }
  events.push({ kind: 'captured', at: tick(), amount: total });

  // Refunds: each appears pending, then moves to its final status; every observation is the full
  // list as Stripe reports it at that moment. Failed and cancelled ones do not use up the amount.
  const refunds: { id: string; amount: number; status: RefundStatus; created: string }[] = [];
  let refundable = total;
  const observeRefunds = () =>
    events.push({ kind: 'refunds_observed', at: tick(), refunds: refunds.map((refund) => ({ ...refund })) });
  scenario.refunds.forEach((planned, index) => {
    const amount = Math.min(planned.amount, refundable);
    if (amount === 0) return;
    const refund = { id: `re_${index}`, amount, status: 'pending' as RefundStatus, created: tick() };
    refunds.push(refund);
    observeRefunds();
    refund.status = planned.status;
    if (planned.status !== 'pending') observeRefunds();
    if (planned.status !== 'failed' && planned.status !== 'canceled') refundable -= amount;
  });

  if (scenario.warning !== 'none') {
    const created = tick();
    events.push({
      kind: 'early_fraud_warning',
      at: created,
      warning: { id: 'issfr_1', actionable: scenario.warning === 'actionable', created },
    });
  }

  if (scenario.dispute !== 'none') {
    const created = tick();
    const observe = (status: 'needs_response' | 'under_review' | 'won' | 'lost') =>
      events.push({
        kind: 'dispute_observed',
        at: tick(),
        dispute: { id: 'dp_1', amount: total, status, created, chargeId: 'ch_1' },
        cardFingerprint: 'fp_1',
      });
    observe('needs_response');
    observe('under_review');
    if (scenario.dispute === 'won' || scenario.dispute === 'lost') observe(scenario.dispute);
  }
  return events;
}

function fold(events: readonly PaymentEvent[]): { order: Order; effects: PaymentEffect[] } {
  let order = placed;
  const effects: PaymentEffect[] = [];
  for (const event of events) {
    const next = applyPaymentEvent(order, event, { storeId });
    order = next.order;
    effects.push(...next.effects);
  }
  return { order, effects };
}

const onceOnly = [
  'queue_fraud_screening',
  'capture',
  'cancel_payment_intent',
  'release_stock',
  'refund_in_full',
  'record_prior_dispute',
] as const;

function countsOf(effects: readonly PaymentEffect[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const effect of effects) counts[effect.kind] = (counts[effect.kind] ?? 0) + 1;
  return counts;
}

/** A scenario, its events in order, and a delivery of them: shuffled, with duplicates. */
const deliveryArbitrary = scenarioArbitrary.chain((scenario) => {
  const events = eventsOf(scenario);
  const indexes = events.map((_, index) => index);
  return fc
    .array(fc.nat({ max: events.length - 1 }), { maxLength: 2 * events.length })
    .chain((duplicates) => {
      const all = [...indexes, ...duplicates];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    })
    .map((delivery) => ({
      scenario,
      events,
      delivery: delivery.map((index) => events[index] as PaymentEvent),
    }));
});

const expectedStatus: Record<Path, Order['status']> = {
  declined: 'pending_payment',
  declined_then_canceled: 'cancelled',
  approved: 'paid',
  review_approved: 'paid',
  review_rejected: 'cancelled',
  review_timed_out: 'cancelled',
  authorisation_expired: 'cancelled',
  rejected: 'cancelled',
  mismatch_rejected: 'cancelled',
};

describe('the payment state machine, delivered in any order with duplicates', () => {
  it('ends in the same order as the in-order sequence, and asks for each once-only effect at most once', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ scenario, events, delivery }) => {
        const inOrder = fold(events);
        const delivered = fold(delivery);

        expect(delivered.order).toStrictEqual(inOrder.order);
        expect(inOrder.order.status).toBe(expectedStatus[scenario.path]);

        for (const counts of [countsOf(inOrder.effects), countsOf(delivered.effects)]) {
          for (const kind of onceOnly) expect(counts[kind] ?? 0).toBeLessThanOrEqual(1);
        }
        // In order, the sequence asks for exactly what it should.
        const inOrderCounts = countsOf(inOrder.effects);
        const paid = expectedStatus[scenario.path] === 'paid';
        expect(inOrderCounts.capture ?? 0).toBe(paid ? 1 : 0);
        expect(inOrderCounts.release_stock ?? 0).toBe(inOrder.order.status === 'cancelled' ? 1 : 0);
        expect(inOrderCounts.queue_fraud_screening ?? 0).toBe(scenario.path.startsWith('declined') ? 0 : 1);
        expect(inOrderCounts.record_prior_dispute ?? 0).toBe(paid && scenario.dispute !== 'none' ? 1 : 0);
        // A stock release, whatever the delivery, happens exactly when the order ends cancelled.
        expect(countsOf(delivered.effects).release_stock ?? 0).toBe(
          delivered.order.status === 'cancelled' ? 1 : 0,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('gives no effect at all when a delivery is repeated after the whole sequence', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ events, delivery }) => {
        const { order } = fold(events);
        let replayed = order;
        for (const event of delivery) {
          const next = applyPaymentEvent(replayed, event, { storeId });
          expect(next.effects).toEqual([]);
          expect(next.changed).toBe(false);
          replayed = next.order;
        }
        expect(replayed).toBe(order);
      }),
      { numRuns: 200 },
    );
  });
});
