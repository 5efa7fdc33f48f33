/**
 * The review timing (domain/review.ts) and the refund use case (orders/refunds.ts) over in-memory
 * ports: what is refundable, which Stripe idempotency key a request gets, how Stripe's refusals map.
 */
import { describe, expect, it } from 'vitest';
import { InvalidState, RefundExceedsCaptured, UpstreamUnavailable } from '../../functions/domain/errors.ts';
import type { Order } from '../../functions/domain/order.ts';
import { applyPaymentEvent, type PaymentEvent } from '../../functions/domain/payments.ts';
import {
  type PaymentEventsGateway,
  PaymentProviderRejected,
  PaymentProviderUnavailable,
  type RefundView,
} from '../../functions/domain/ports.ts';
import { heldSince, reviewDueAt } from '../../functions/domain/review.ts';
import {
  type RefundDependencies,
  refundIdempotencyKey,
  refundOrder,
} from '../../functions/orders/refunds.ts';
import { placedOrder } from '../support/order-fixtures.ts';

const storeId = 'str_1';
const t = (minute: number) => new Date(Date.UTC(2026, 10, 28, 10, minute)).toISOString();

function run(events: readonly PaymentEvent[]): Order {
  return events.reduce((order, event) => applyPaymentEvent(order, event, { storeId }).order, placedOrder());
}

const authorized = (amount = 5000): PaymentEvent => ({
  kind: 'authorized',
  at: t(2),
  intent: { id: 'pi_1', amount, currency: 'usd', metadata: { orderId: 'ord_1', storeId } },
  chargeId: 'ch_1',
});
const review: PaymentEvent = {
  kind: 'fraud_decided',
  decision: { decision: 'review', score: 50, reasons: [], decidedAt: t(3), decidedBy: 'rules' },
};
const approve: PaymentEvent = {
  kind: 'fraud_decided',
  decision: { decision: 'approve', score: 0, reasons: [], decidedAt: t(3), decidedBy: 'rules' },
};
const captured: PaymentEvent = { kind: 'captured', at: t(4), amount: 5000 };

describe('review timing', () => {
  it('counts from the review decision, whatever happens to the order later', () => {
    const held = run([authorized(), review, { kind: 'payment_failed', at: t(30), attemptId: 'ch_0' }]);
    expect(held.status).toBe('on_hold');
    expect(heldSince(held)).toBe(t(3));
    expect(reviewDueAt(held, 1)).toBe(new Date(Date.UTC(2026, 10, 28, 11, 3)).toISOString());
    expect(reviewDueAt(held, 72)).toBe('2026-12-01T10:03:00.000Z');
  });

  it('counts a mismatched PaymentIntent from its authorisation', () => {
    const held = run([authorized(4999)]);
    expect(held).toMatchObject({ status: 'on_hold', holdReason: 'payment_mismatch' });
    expect(heldSince(held)).toBe(t(2));
  });
});

function fakeStripe(existing: RefundView[] = [], refuse?: string) {
  const calls: Parameters<PaymentEventsGateway['refund']>[0][] = [];
  const payments: RefundDependencies['payments'] = {
    async refund(input) {
      calls.push(input);
      if (refuse !== undefined) throw new PaymentProviderRejected('refused', refuse);
      return { id: `re_${calls.length}`, amount: input.amount, status: 'succeeded', created: t(10) };
    },
    listRefunds: async () => existing,
  };
  return { payments, calls };
}

const depsFor = (order: Order, payments: RefundDependencies['payments']): RefundDependencies => ({
  orders: { get: async () => ({ storeId, version: 3, order }) },
  payments,
});

describe('refundOrder', () => {
  const paid = run([authorized(), approve, captured]);

  it('refunds what is left by default, counting refunds Stripe has that the order has not seen yet', async () => {
    const stripe = fakeStripe([
      { id: 're_a', amount: 1200, status: 'succeeded', created: t(5) },
      { id: 're_b', amount: 800, status: 'failed', created: t(5) },
    ]);
    const refund = await refundOrder(depsFor(paid, stripe.payments), { storeId, orderId: 'ord_1' });
    expect(refund).toEqual({ id: 're_1', amount: 3800, status: 'succeeded' });
    expect(stripe.calls[0]).toMatchObject({
      paymentIntentId: 'pi_1',
      amount: 3800,
      metadata: { orderId: 'ord_1' },
    });
  });

  it('answers a retried request with the refund Stripe made before its answer was lost, not a 422', async () => {
    const request = { storeId, orderId: 'ord_1', idempotencyKey: 'refund-1' };
    const made: RefundView[] = [];
    const calls: unknown[] = [];
    const payments: RefundDependencies['payments'] = {
      async refund(input) {
        calls.push(input);
        made.push({
          id: 're_lost',
          amount: input.amount,
          status: 'succeeded',
          created: t(10),
          requestKey: input.metadata.requestKey,
        });
        throw new PaymentProviderUnavailable('the answer never came');
      },
      listRefunds: async () => made,
    };
    await expect(refundOrder(depsFor(paid, payments), request)).rejects.toBeInstanceOf(UpstreamUnavailable);
    expect(await refundOrder(depsFor(paid, payments), request)).toEqual({
      id: 're_lost',
      amount: 5000,
      status: 'succeeded',
    });
    expect(calls).toHaveLength(1);
    // Another request is refused: the lost refund took everything.
    await expect(
      refundOrder(depsFor(paid, payments), { ...request, idempotencyKey: 'refund-2' }),
    ).rejects.toBeInstanceOf(RefundExceedsCaptured);
  });

  it('refuses more than is left without asking Stripe, and maps Stripe’s own refusal', async () => {
    const stripe = fakeStripe([{ id: 're_a', amount: 4000, status: 'succeeded', created: t(5) }]);
    await expect(
      refundOrder(depsFor(paid, stripe.payments), { storeId, orderId: 'ord_1', amount: 1001 }),
    ).rejects.toBeInstanceOf(RefundExceedsCaptured);
    expect(stripe.calls).toEqual([]);
    const racing = fakeStripe([], 'amount_too_large');
    await expect(
      refundOrder(depsFor(paid, racing.payments), { storeId, orderId: 'ord_1', amount: 100 }),
    ).rejects.toBeInstanceOf(RefundExceedsCaptured);
  });

  it('refuses payments that are not captured or are disputed', async () => {
    const stripe = fakeStripe();
    const authorisedOnly = run([authorized()]);
    await expect(
      refundOrder(depsFor(authorisedOnly, stripe.payments), { storeId, orderId: 'ord_1' }),
    ).rejects.toBeInstanceOf(InvalidState);
    const disputed = run([
      authorized(),
      approve,
      captured,
      {
        kind: 'dispute_observed',
        at: t(6),
        dispute: { id: 'dp_1', amount: 5000, status: 'needs_response', created: t(6) },
      },
    ]);
    expect(disputed.paymentStatus).toBe('disputed');
    await expect(
      refundOrder(depsFor(disputed, stripe.payments), { storeId, orderId: 'ord_1' }),
    ).rejects.toBeInstanceOf(InvalidState);
    expect(stripe.calls).toEqual([]);
  });

  it('derives the Stripe key from the store’s Idempotency-Key, else makes a new one per request', () => {
    const keyed = { storeId, orderId: 'ord_1', idempotencyKey: 'k-1' };
    expect(refundIdempotencyKey(keyed)).toBe(refundIdempotencyKey(keyed));
    expect(refundIdempotencyKey(keyed)).not.toBe(refundIdempotencyKey({ ...keyed, storeId: 'str_2' }));
    expect(refundIdempotencyKey(keyed)).not.toContain('k-1');
    const unkeyed = { storeId, orderId: 'ord_1' };
    expect(refundIdempotencyKey(unkeyed)).not.toBe(refundIdempotencyKey(unkeyed));
  });
});
