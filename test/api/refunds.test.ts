/**
 * Contract section 5, refunds, over HTTP on the running local stack: a refund is Stripe's, made
 * with its own idempotency key, and the order's `amounts.refunded` / `paymentStatus` follow
 * Stripe's refund webhooks. Outcomes are polled with a deadline.
 */
import { describe, expect, it } from 'vitest';
import { createStore, problem, putProduct } from '../support/api.ts';
import { capturedOrder, eventually, getOrder, placeOrder } from '../support/orders-flow.ts';
import { simulatorStripe } from '../support/stripe.ts';

type Refund = { id: string; amount: number; status: string };

async function storeWithStock() {
  const store = await createStore();
  await putProduct(store, 'A', { unitAmount: 2500, stock: 10 });
  return store;
}

describe('POST /v1/orders/{orderId}/refunds', () => {
  it('refunds part, refuses more than is left, then refunds the rest; the order follows Stripe', async () => {
    const store = await storeWithStock();
    const order = await capturedOrder(store, 'A');
    const total = order.amounts.captured;
    expect(total).toBe(order.amounts.total);

    const partial = await store.call<Refund>('POST', `/v1/orders/${order.id}/refunds`, {
      body: { amount: 1000, reason: 'requested_by_customer' },
    });
    expect(partial.status).toBe(201);
    expect(partial.body).toMatchObject({
      id: expect.stringMatching(/^re_/),
      amount: 1000,
      status: 'succeeded',
    });
    const partly = await eventually(
      () => getOrder(store, order.id),
      (current) => current.amounts.refunded === 1000,
    );
    expect(partly).toMatchObject({ paymentStatus: 'partially_refunded', amounts: { refunded: 1000 } });

    const tooMuch = await store.call('POST', `/v1/orders/${order.id}/refunds`, {
      body: { amount: total - 1000 + 1 },
    });
    expect(problem(tooMuch)).toMatchObject({ status: 422, code: 'refund_exceeds_captured' });

    const rest = await store.call<Refund>('POST', `/v1/orders/${order.id}/refunds`, { body: {} });
    expect(rest.status).toBe(201);
    expect(rest.body.amount).toBe(total - 1000);
    const refunded = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'refunded',
    );
    expect(refunded.amounts.refunded).toBe(total);

    const nothingLeft = await store.call('POST', `/v1/orders/${order.id}/refunds`, { body: {} });
    expect(problem(nothingLeft)).toMatchObject({ status: 422, code: 'refund_exceeds_captured' });
    const charge = await simulatorStripe().charges.list({ payment_intent: order.payment.paymentIntentId });
    expect(charge.data[0]?.amount_refunded).toBe(total);
  });

  it('makes one refund per Idempotency-Key, replaying the first answer', async () => {
    const store = await storeWithStock();
    const order = await capturedOrder(store, 'A');
    const request = () =>
      store.call<Refund>('POST', `/v1/orders/${order.id}/refunds`, {
        body: { amount: 500 },
        headers: { 'idempotency-key': `refund-${order.id}` },
      });
    const first = await request();
    const second = await request();
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const refunds = await simulatorStripe().refunds.list({ payment_intent: order.payment.paymentIntentId });
    expect(refunds.data.map((refund) => refund.amount)).toEqual([500]);
  });

  it('refuses unpaid orders, other stores’ orders and invalid bodies', async () => {
    const store = await storeWithStock();
    const unpaid = await placeOrder(store, 'A');
    const refused = await store.call('POST', `/v1/orders/${unpaid.id}/refunds`, { body: { amount: 100 } });
    expect(problem(refused)).toMatchObject({ status: 409, code: 'invalid_state' });

    const paid = await capturedOrder(store, 'A');
    const other = await createStore();
    const foreign = await other.call('POST', `/v1/orders/${paid.id}/refunds`, { body: {} });
    expect(problem(foreign)).toMatchObject({ status: 404, code: 'not_found' });
    for (const body of [
      { amount: 0 },
      { amount: 1.5 },
      { reason: 'changed_mind' },
      { amount: 100, price: 1 },
    ]) {
      const invalid = await store.call('POST', `/v1/orders/${paid.id}/refunds`, { body });
      expect(problem(invalid)).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    expect((await getOrder(store, paid.id)).amounts.refunded).toBe(0);
  });

  it('refuses a disputed payment', async () => {
    const store = await storeWithStock();
    const order = await capturedOrder(store, 'A', 'pm_card_createDispute');
    const disputed = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'disputed',
    );
    expect(disputed.paymentStatus).toBe('disputed');
    const refused = await store.call('POST', `/v1/orders/${order.id}/refunds`, { body: {} });
    expect(problem(refused)).toMatchObject({ status: 409, code: 'invalid_state' });
  });
});
