/**
 * Contract section 6, reviews, over HTTP on the running local stack: the review queue (orders
 * `on_hold`, oldest first), a reviewer's approve (captured, paid) and reject (cancelled with
 * `review_rejected`, stock back), and the sweeper's review timeout with a clock moved just past
 * the 1 h timeout of this test's store (every other store keeps the default 72 h, so no other
 * test's order is due).
 */
import { describe, expect, it } from 'vitest';
import type { expireReviews as ExpireReviews } from '../../functions/orders/review-timeouts.ts';
import { createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import {
  eventually,
  getOrder,
  type Order,
  orderInReview,
  placeOrder,
  stackAdapters,
} from '../support/orders-flow.ts';
import { simulatorStripe } from '../support/stripe.ts';

const stock = async (store: TestStore, sku = 'A') =>
  (await store.call('GET', `/v1/products/${sku}`)).body.stock;

async function storeWithStock(settings?: unknown) {
  const store = await createStore(settings === undefined ? {} : { settings });
  await putProduct(store, 'A', { unitAmount: 2500, stock: 10 });
  return store;
}

describe('GET /v1/reviews', () => {
  it('lists only orders on hold, oldest first, a page at a time', async () => {
    const store = await storeWithStock();
    const first = await orderInReview(store, 'A');
    const second = await orderInReview(store, 'A');
    const unpaid = await placeOrder(store, 'A');

    const all = await store.call<{ data: Order[]; nextCursor: string | null }>('GET', '/v1/reviews');
    expect(all.status).toBe(200);
    expect(all.body.data.map((order) => order.id)).toEqual([first.id, second.id]);
    expect(all.body.data.map((order) => order.id)).not.toContain(unpaid.id);
    expect(all.body.data.every((order) => order.status === 'on_hold')).toBe(true);

    const page = await store.call<{ data: Order[]; nextCursor: string | null }>('GET', '/v1/reviews?limit=1');
    expect(page.body.data.map((order) => order.id)).toEqual([first.id]);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await store.call<{ data: Order[]; nextCursor: string | null }>(
      'GET',
      `/v1/reviews?limit=1&cursor=${encodeURIComponent(page.body.nextCursor ?? '')}`,
    );
    expect(next.body.data.map((order) => order.id)).toEqual([second.id]);

    const other = await createStore();
    const foreign = await other.call<{ data: Order[] }>('GET', '/v1/reviews');
    expect(foreign.body.data).toEqual([]);
    expect(problem(await store.call('GET', '/v1/reviews?limit=0')).code).toBe('validation_failed');
  });
});

describe('POST /v1/orders/{orderId}/review', () => {
  it('approve captures the payment and the order ends paid', async () => {
    const store = await storeWithStock();
    const held = await orderInReview(store, 'A', 2);

    const approved = await store.call<Order>('POST', `/v1/orders/${held.id}/review`, {
      body: { decision: 'approve', note: 'called the customer' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      id: held.id,
      fraudStatus: 'approved',
      fraud: { decision: 'approve', decidedBy: 'reviewer' },
    });
    expect(approved.body.timeline.some((entry) => entry.type === 'review_decided')).toBe(true);

    const paid = await eventually(
      () => getOrder(store, held.id),
      (order) => order.status === 'paid',
    );
    expect(paid).toMatchObject({ status: 'paid', paymentStatus: 'captured' });
    expect(paid.amounts.captured).toBe(held.amounts.total);
    expect((await simulatorStripe().paymentIntents.retrieve(held.payment.paymentIntentId)).status).toBe(
      'succeeded',
    );
    expect(await stock(store)).toBe(8);

    // Out of review now: a second decision is refused.
    const again = await store.call('POST', `/v1/orders/${held.id}/review`, { body: { decision: 'reject' } });
    expect(problem(again)).toMatchObject({ status: 409, code: 'invalid_state' });
    expect((await getOrder(store, held.id)).status).toBe('paid');
  });

  it('reject cancels the payment with review_rejected and gives the stock back', async () => {
    const store = await storeWithStock();
    const held = await orderInReview(store, 'A', 3);
    expect(await stock(store)).toBe(7);

    const rejected = await store.call<Order>('POST', `/v1/orders/${held.id}/review`, {
      body: { decision: 'reject' },
      headers: { 'idempotency-key': `reject-${held.id}` },
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'cancelled',
      cancelReason: 'review_rejected',
      fraudStatus: 'rejected',
      paymentStatus: 'cancelled',
    });
    expect(await stock(store)).toBe(10);
    expect((await simulatorStripe().paymentIntents.retrieve(held.payment.paymentIntentId)).status).toBe(
      'canceled',
    );

    // The same request again is replayed, not re-run; a new one is refused.
    const replay = await store.call<Order>('POST', `/v1/orders/${held.id}/review`, {
      body: { decision: 'reject' },
      headers: { 'idempotency-key': `reject-${held.id}` },
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const approve = await store.call('POST', `/v1/orders/${held.id}/review`, {
      body: { decision: 'approve' },
    });
    expect(problem(approve)).toMatchObject({ status: 409, code: 'invalid_state' });
    const settled = await eventually(
      () => getOrder(store, held.id),
      (order) => order.timeline.some((entry) => entry.type === 'payment_canceled'),
    );
    expect(settled).toMatchObject({ status: 'cancelled', cancelReason: 'review_rejected' });
    expect(await stock(store)).toBe(10);
  });

  it('refuses orders not on hold, other stores’ orders and bad bodies', async () => {
    const store = await storeWithStock();
    const unpaid = await placeOrder(store, 'A');
    const notHeld = await store.call('POST', `/v1/orders/${unpaid.id}/review`, {
      body: { decision: 'approve' },
    });
    expect(problem(notHeld)).toMatchObject({ status: 409, code: 'invalid_state' });
    expect((await getOrder(store, unpaid.id)).status).toBe('pending_payment');

    const held = await orderInReview(store, 'A');
    const other = await createStore();
    const foreign = await other.call('POST', `/v1/orders/${held.id}/review`, {
      body: { decision: 'approve' },
    });
    expect(problem(foreign)).toMatchObject({ status: 404, code: 'not_found' });
    const missing = await store.call('POST', '/v1/orders/ord_missing/review', {
      body: { decision: 'approve' },
    });
    expect(problem(missing)).toMatchObject({ status: 404, code: 'not_found' });
    const invalid = await store.call('POST', `/v1/orders/${held.id}/review`, { body: { decision: 'maybe' } });
    expect(problem(invalid)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await getOrder(store, held.id)).status).toBe('on_hold');
  });
});

describe('review timeout (sweeper)', () => {
  it('cancels reviews older than the store’s reviewTimeoutHours, and only those', async () => {
    const quick = await storeWithStock({ fraud: { reviewTimeoutHours: 1 } });
    const patient = await storeWithStock();
    const expiring = await orderInReview(quick, 'A', 4);
    const kept = await orderInReview(patient, 'A', 1);
    expect(await stock(quick)).toBe(6);

    const { orders, payments } = await stackAdapters();
    const { StoresRepository } = await import('../../functions/adapters/stores-repository.ts');
    const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
    const { expireReviews }: { expireReviews: typeof ExpireReviews } = await import(
      '../../functions/orders/review-timeouts.ts'
    );
    const stores = new StoresRepository(documentClient, mainTableName());
    const failures: unknown[] = [];
    const sweep = () =>
      expireReviews(
        {
          orders,
          payments,
          // Just past this store's 1 h; every other store's review is 72 h.
          clock: { now: () => new Date(Date.now() + 61 * 60_000) },
          reviewTimeoutHours: async (storeId) =>
            (await stores.get(storeId))?.settings.fraud.reviewTimeoutHours,
        },
        (_orderId, error) => failures.push(error),
      );
    const reports = await Promise.all([sweep(), sweep()]);
    await sweep();
    expect(failures).toEqual([]);
    expect(reports.reduce((sum, report) => sum + report.timedOut, 0)).toBeGreaterThanOrEqual(1);

    const timedOut = await getOrder(quick, expiring.id);
    expect(timedOut).toMatchObject({
      status: 'cancelled',
      cancelReason: 'review_timeout',
      fraudStatus: 'rejected',
    });
    expect(timedOut.timeline.filter((entry) => entry.type === 'review_timed_out')).toHaveLength(1);
    expect(await stock(quick)).toBe(10);
    expect((await simulatorStripe().paymentIntents.retrieve(expiring.payment.paymentIntentId)).status).toBe(
      'canceled',
    );

    expect(await getOrder(patient, kept.id)).toMatchObject({ status: 'on_hold', fraudStatus: 'review' });
    expect(await stock(patient)).toBe(9);
  });
});
