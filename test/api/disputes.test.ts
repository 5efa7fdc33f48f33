/**
 * Contract section 6, disputes and early fraud warnings, over HTTP on the running local stack:
 * the Stripe simulator opens and closes disputes and raises early fraud warnings, and the order
 * follows the webhooks. Outcomes are polled with a deadline, never waited for with a fixed sleep.
 */
import { describe, expect, inject, it } from 'vitest';
import { createStore, putProduct, type TestStore } from '../support/api.ts';
import { capturedOrder, eventually, getOrder, type Order } from '../support/orders-flow.ts';
import { simulatorStripe } from '../support/stripe.ts';

const stripe = simulatorStripe();

async function storeWithStock() {
  const store = await createStore();
  await putProduct(store, 'A', { unitAmount: 3200, stock: 10 });
  return store;
}

async function control(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${inject('stripeUrl')}/_simulator/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator control ${path}: ${response.status} ${await response.text()}`);
}

/** A paid `pm_card_createDispute` order once the simulator's dispute has reached it. */
async function disputedOrder(store: TestStore): Promise<{ order: Order; disputeId: string }> {
  const captured = await capturedOrder(store, 'A', 'pm_card_createDispute');
  const order = await eventually(
    () => getOrder(store, captured.id),
    (current) => current.paymentStatus === 'disputed',
  );
  expect(order.paymentStatus).toBe('disputed');
  const disputes = await stripe.disputes.list({ payment_intent: order.payment.paymentIntentId });
  expect(disputes.data).toHaveLength(1);
  const [dispute] = disputes.data;
  if (dispute === undefined) throw new Error('no dispute at the simulator');
  return { order, disputeId: dispute.id };
}

async function chargeOf(order: Order): Promise<string> {
  const charges = await stripe.charges.list({ payment_intent: order.payment.paymentIntentId });
  const [charge] = charges.data;
  if (charge === undefined) throw new Error('no charge at the simulator');
  return charge.id;
}

const hasTimelineEntry = (order: Order, type: string, detail: string) =>
  order.timeline.some((entry) => entry.type === type && (entry.detail ?? '').includes(detail));

describe('disputes (contract section 6)', () => {
  it('pm_card_createDispute: disputed after capture; closed won, the payment counts as captured again', async () => {
    const store = await storeWithStock();
    const { order, disputeId } = await disputedOrder(store);
    expect(order.status).toBe('paid');
    expect(hasTimelineEntry(order, 'dispute_opened', disputeId)).toBe(true);

    await control(`disputes/${disputeId}/close`, { outcome: 'won' });
    const won = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(won).toMatchObject({ status: 'paid', paymentStatus: 'captured' });
    expect(won.amounts.captured).toBe(won.amounts.total);
    expect(hasTimelineEntry(won, 'dispute_closed', `${disputeId}: won`)).toBe(true);
  });

  it('a dispute closed lost: the order stays disputed', async () => {
    const store = await storeWithStock();
    const { order, disputeId } = await disputedOrder(store);

    await control(`disputes/${disputeId}/close`, { outcome: 'lost' });
    // The closing is on the timeline once the webhook is applied; only then is "stays" meaningful.
    const lost = await eventually(
      () => getOrder(store, order.id),
      (current) => hasTimelineEntry(current, 'dispute_closed', disputeId),
    );
    expect(hasTimelineEntry(lost, 'dispute_closed', `${disputeId}: lost`)).toBe(true);
    expect(lost).toMatchObject({ status: 'paid', paymentStatus: 'disputed' });
  });
});

describe('early fraud warnings (contract section 6)', () => {
  it('an actionable warning on a paid order: the charge is refunded in full, once', async () => {
    const store = await storeWithStock();
    const order = await capturedOrder(store, 'A');
    const chargeId = await chargeOf(order);

    await control(`charges/${chargeId}/early_fraud_warnings`, { actionable: true });
    const refunded = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'refunded',
    );
    expect(refunded.paymentStatus).toBe('refunded');
    expect(refunded.amounts.refunded).toBe(refunded.amounts.total);
    expect(hasTimelineEntry(refunded, 'early_fraud_warning', 'actionable')).toBe(true);

    const refunds = await stripe.refunds.list({ payment_intent: order.payment.paymentIntentId });
    expect(refunds.data).toHaveLength(1);
    expect(refunds.data[0]).toMatchObject({
      amount: refunded.amounts.total,
      reason: 'fraudulent',
      status: 'succeeded',
    });
  });

  it('a warning that is not actionable: nothing is refunded', async () => {
    const store = await storeWithStock();
    const order = await capturedOrder(store, 'A');
    const chargeId = await chargeOf(order);

    await control(`charges/${chargeId}/early_fraud_warnings`, { actionable: false });
    // Once the warning is on the timeline the webhook has been applied, effects included.
    const warned = await eventually(
      () => getOrder(store, order.id),
      (current) => current.timeline.some((entry) => entry.type === 'early_fraud_warning'),
    );
    expect(warned.timeline.some((entry) => entry.type === 'early_fraud_warning')).toBe(true);
    expect(warned).toMatchObject({ status: 'paid', paymentStatus: 'captured', amounts: { refunded: 0 } });
    const refunds = await stripe.refunds.list({ payment_intent: order.payment.paymentIntentId });
    expect(refunds.data).toHaveLength(0);
  });
});
