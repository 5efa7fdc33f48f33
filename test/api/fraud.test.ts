/**
 * Fraud screening (contract section 6) over HTTP on the running local stack: the shopper pays
 * through the Stripe simulator, the authorisation queues a fraud check, and the screening
 * consumer approves (capture), holds for review or rejects (cancel, stock back). Outcomes are
 * polled with a deadline, never waited for with a fixed sleep.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkoutBody, createStore, putProduct, type TestStore } from '../support/api.ts';
import { eventually } from '../support/orders-flow.ts';
import { simulatorStripe } from '../support/stripe.ts';

type Order = {
  id: string;
  status: string;
  paymentStatus: string;
  fraudStatus: string;
  cancelReason?: string;
  holdReason?: string;
  amounts: { total: number; captured: number };
  fraud?: { decision: string; score: number; reasons: { rule: string; points: number }[] };
  payment: { paymentIntentId: string };
};

const stripe = simulatorStripe();
const settled = (order: Order) => order.fraudStatus !== 'pending' && order.fraudStatus !== 'not_screened';

const getOrder = async (store: TestStore, id: string) =>
  (await store.call<Order>('GET', `/v1/orders/${id}`)).body;

const stock = async (store: TestStore) => (await store.call('GET', '/v1/products/A')).body.stock;

async function storeWithStock(settings?: unknown) {
  const store = await createStore(settings === undefined ? {} : { settings });
  await putProduct(store, 'A', { unitAmount: 1500, stock: 10 });
  return store;
}

/** Checks out `quantity` of A for `email` and pays with `paymentMethod`. */
async function pay(
  store: TestStore,
  paymentMethod: string,
  options: { email?: string; quantity?: number } = {},
) {
  const body = checkoutBody([{ sku: 'A', quantity: options.quantity ?? 1 }]);
  const response = await store.call<Order>('POST', '/v1/checkouts', {
    body:
      options.email === undefined ? body : { ...body, customer: { ...body.customer, email: options.email } },
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  await stripe.paymentIntents.confirm(response.body.payment.paymentIntentId, {
    payment_method: paymentMethod,
  });
  return response.body;
}

const reasonsOf = (order: Order) =>
  Object.fromEntries((order.fraud?.reasons ?? []).map((reason) => [reason.rule, reason.points]));

describe('fraud screening (contract section 6)', () => {
  it('pm_card_visa: approved and captured, the order paid', async () => {
    const store = await storeWithStock();
    const placed = await pay(store, 'pm_card_visa', { quantity: 2 });
    const order = await eventually(
      () => getOrder(store, placed.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(order).toMatchObject({
      status: 'paid',
      paymentStatus: 'captured',
      fraudStatus: 'approved',
      fraud: { decision: 'approve', score: 0 },
    });
    expect(order.amounts.captured).toBe(order.amounts.total);
    expect(order.amounts.total).toBe(placed.amounts.total);
    expect(await stock(store)).toBe(8);
  });

  it('pm_card_riskLevelElevated: held for review with stripe_risk 50, not captured', async () => {
    const store = await storeWithStock();
    const placed = await pay(store, 'pm_card_riskLevelElevated');
    const order = await eventually(() => getOrder(store, placed.id), settled);
    expect(order).toMatchObject({
      status: 'on_hold',
      fraudStatus: 'review',
      holdReason: 'fraud_review',
      paymentStatus: 'authorized',
      fraud: { decision: 'review', score: 50 },
    });
    expect(reasonsOf(order)).toEqual({ stripe_risk: 50 });
    expect(order.amounts.captured).toBe(0);
    expect((await stripe.paymentIntents.retrieve(placed.payment.paymentIntentId)).status).toBe(
      'requires_capture',
    );
  });

  it('pm_card_riskLevelHighest: rejected, the PaymentIntent cancelled as fraudulent and the stock back', async () => {
    const store = await storeWithStock();
    const placed = await pay(store, 'pm_card_riskLevelHighest', { quantity: 3 });
    expect(await stock(store)).toBe(7);
    const order = await eventually(
      () => getOrder(store, placed.id),
      (current) => current.status === 'cancelled' && current.paymentStatus === 'cancelled',
    );
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'fraud_rejected',
      fraudStatus: 'rejected',
      fraud: { decision: 'reject', score: 80 },
    });
    expect(reasonsOf(order)).toEqual({ stripe_risk: 80 });
    expect(await stock(store)).toBe(10);
    const intent = await stripe.paymentIntents.retrieve(placed.payment.paymentIntentId);
    expect(intent).toMatchObject({ status: 'canceled', cancellation_reason: 'fraudulent' });
  });

  it('a prior dispute on the email: the next order of that email is rejected with prior_dispute 80', async () => {
    const store = await storeWithStock();
    const email = `Disputer-${randomUUID().slice(0, 8)}@Example.com`;
    const first = await pay(store, 'pm_card_createDispute', { email });
    const disputed = await eventually(
      () => getOrder(store, first.id),
      (current) => current.paymentStatus === 'disputed',
    );
    expect(disputed).toMatchObject({ fraudStatus: 'approved', paymentStatus: 'disputed' });

    // The same email, differently cased: emails are compared lower-cased.
    const second = await pay(store, 'pm_card_visa', { email: email.toLowerCase() });
    const order = await eventually(
      () => getOrder(store, second.id),
      (current) => current.status === 'cancelled' && current.paymentStatus === 'cancelled',
    );
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'fraud_rejected',
      fraudStatus: 'rejected',
    });
    expect(reasonsOf(order)).toMatchObject({ prior_dispute: 80 });
    expect(await stock(store)).toBe(9);
  });

  it('more orders from one email than maxOrdersPerEmail: the extra one is held with velocity_email', async () => {
    const store = await storeWithStock({ fraud: { maxOrdersPerEmail: 1 } });
    const email = `velocity-${randomUUID().slice(0, 8)}@example.com`;
    const first = await pay(store, 'pm_card_visa', { email });
    const approved = await eventually(
      () => getOrder(store, first.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(approved).toMatchObject({ status: 'paid', fraudStatus: 'approved' });
    expect(reasonsOf(approved)).toEqual({});

    const second = await pay(store, 'pm_card_visa', { email });
    const held = await eventually(() => getOrder(store, second.id), settled);
    expect(held).toMatchObject({ status: 'on_hold', fraudStatus: 'review', fraud: { score: 50 } });
    expect(reasonsOf(held)).toEqual({ velocity_email: 50 });

    // Another email in the same store is not affected by the first one's count.
    const other = await pay(store, 'pm_card_visa');
    const unaffected = await eventually(
      () => getOrder(store, other.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(unaffected).toMatchObject({ status: 'paid', fraudStatus: 'approved' });
  });

  it('counts concurrent checkouts behind one IP without making them conflict', async () => {
    const store = await createStore({ settings: { fraud: { maxOrdersPerIp: 1000 } } });
    await putProduct(store, 'A', { unitAmount: 1500, stock: 100 });
    const clientIp = '203.0.113.200';
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => {
        const body = checkoutBody([{ sku: 'A', quantity: 1 }]);
        return store.call('POST', '/v1/checkouts', { body: { ...body, clientIp } });
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 20 }, () => 201));
    expect(await stock(store)).toBe(80);
  });

  it('counts orders as they are created: declined and unpaid ones count toward the email and IP limits', async () => {
    const store = await storeWithStock({ fraud: { maxOrdersPerEmail: 2, maxOrdersPerIp: 2 } });
    const email = `testing-${randomUUID().slice(0, 8)}@example.com`;
    const clientIp = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const checkout = async () => {
      const body = checkoutBody([{ sku: 'A', quantity: 1 }]);
      const response = await store.call<Order>('POST', '/v1/checkouts', {
        body: { ...body, clientIp, customer: { ...body.customer, email } },
      });
      expect(response.status).toBe(201);
      return response.body;
    };
    // A declined attempt and an abandoned checkout: neither is ever screened.
    const declined = await checkout();
    await expect(
      stripe.paymentIntents.confirm(declined.payment.paymentIntentId, {
        payment_method: 'pm_card_chargeDeclined',
      }),
    ).rejects.toThrow();
    await checkout();

    const third = await checkout();
    await stripe.paymentIntents.confirm(third.payment.paymentIntentId, { payment_method: 'pm_card_visa' });
    const held = await eventually(() => getOrder(store, third.id), settled);
    expect(reasonsOf(held)).toEqual({ velocity_email: 50, velocity_ip: 50 });
    expect(held).toMatchObject({ status: 'cancelled', fraudStatus: 'rejected', fraud: { score: 100 } });
  });
});
