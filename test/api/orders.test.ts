import { describe, expect, it } from 'vitest';
import { checkoutBody, createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import { simulatorStripe } from '../support/stripe.ts';

type Order = {
  id: string;
  status: string;
  paymentStatus: string;
  cancelReason?: string;
  createdAt: string;
  timeline: { type: string; detail?: string }[];
  payment: { paymentIntentId: string };
};
type Page = { data: Order[]; nextCursor: string | null };

async function placeOrder(store: TestStore, sku = 'A', quantity = 1, extra: Record<string, unknown> = {}) {
  const response = await store.call<Order>('POST', '/v1/checkouts', {
    body: checkoutBody([{ sku, quantity }], extra),
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return response.body;
}

describe('orders: get, list, cancel (contract section 5)', () => {
  it('lists orders newest first with pagination, status and creation filters', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 100 });
    const placed: Order[] = [];
    for (let index = 0; index < 5; index++) placed.push(await placeOrder(store));
    const first = await store.call<Page>('GET', '/v1/orders?limit=3');
    expect(first.body.data.map((order) => order.id)).toEqual(
      placed
        .slice(2)
        .reverse()
        .map((order) => order.id),
    );
    const second = await store.call<Page>('GET', `/v1/orders?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.data.map((order) => order.id)).toEqual(
      placed
        .slice(0, 2)
        .reverse()
        .map((order) => order.id),
    );
    expect(second.body.nextCursor).toBeNull();

    await store.call('POST', `/v1/orders/${placed[0]?.id}/cancel`, { body: {} });
    const cancelled = await store.call<Page>('GET', '/v1/orders?status=cancelled');
    expect(cancelled.body.data.map((order) => order.id)).toEqual([placed[0]?.id]);
    const pending = await store.call<Page>('GET', '/v1/orders?status=pending_payment&limit=100');
    expect(pending.body.data).toHaveLength(4);

    const middle = placed[2]?.createdAt ?? '';
    const window = await store.call<Page>('GET', `/v1/orders?createdFrom=${middle}&createdTo=${middle}`);
    expect(window.body.data.map((order) => order.id)).toEqual([placed[2]?.id]);
    const bad = await store.call('GET', '/v1/orders?status=shipped');
    expect(problem(bad).body.errors).toContainEqual(expect.objectContaining({ path: '/query/status' }));
  });

  it("answers 404 for an unknown order or another store's order", async () => {
    const [owner, other] = await Promise.all([createStore(), createStore()]);
    await putProduct(owner, 'A', { unitAmount: 1000, stock: 5 });
    const order = await placeOrder(owner);
    expect(problem(await other.call('GET', `/v1/orders/${order.id}`))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(problem(await other.call('POST', `/v1/orders/${order.id}/cancel`, { body: {} })).code).toBe(
      'not_found',
    );
    expect(problem(await owner.call('GET', '/v1/orders/ord_missing')).code).toBe('not_found');
    expect((await other.call<Page>('GET', '/v1/orders')).body.data).toEqual([]);
  });

  it('cancels a pending order once: PaymentIntent cancelled, stock and coupon given back', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 5 });
    await store.call('PUT', '/v1/coupons/TEN', { body: { percentOff: 10 } });
    const order = await placeOrder(store, 'A', 3, { couponCode: 'TEN' });
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(2);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        store.call<Order>('POST', `/v1/orders/${order.id}/cancel`, { body: { reason: 'customer asked' } }),
      ),
    );
    const cancelled = responses.filter((response) => response.status === 200);
    expect(cancelled).toHaveLength(1);
    for (const response of responses.filter((candidate) => candidate.status !== 200)) {
      expect(response.body).toMatchObject({ code: 'invalid_state' });
    }
    expect(cancelled[0]?.body).toMatchObject({
      status: 'cancelled',
      paymentStatus: 'cancelled',
      cancelReason: 'requested',
    });
    expect(cancelled[0]?.body.timeline.at(-1)).toMatchObject({
      type: 'cancelled',
      detail: 'requested: customer asked',
    });
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(5);
    expect((await store.call('GET', '/v1/coupons/TEN')).body.redemptions).toBe(0);
    const intent = await simulatorStripe().paymentIntents.retrieve(order.payment.paymentIntentId);
    expect(intent.status).toBe('canceled');
    const again = await store.call('POST', `/v1/orders/${order.id}/cancel`, { body: {} });
    expect(problem(again)).toMatchObject({ status: 409, code: 'invalid_state' });
  });

  it('refuses to cancel an order whose payment was captured', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 5 });
    const order = await placeOrder(store);
    const stripe = simulatorStripe();
    const intent = await stripe.paymentIntents.retrieve(order.payment.paymentIntentId);
    await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    await stripe.paymentIntents.capture(intent.id);
    const response = await store.call('POST', `/v1/orders/${order.id}/cancel`, { body: {} });
    expect(problem(response)).toMatchObject({ status: 409, code: 'invalid_state' });
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(4);
  });
});
