/**
 * Driving an order through payment on the running local stack, for the review and refund tests.
 * Works whether or not the fraud screening consumer is running: where it does not (yet) screen
 * an order, the test records the rules' decision itself, through the same use case
 * (`transitionOrder`) and guard the consumer uses, on the stack's DynamoDB Local.
 */
import { inject } from 'vitest';
import type { OrdersRepository } from '../../functions/adapters/orders-repository.ts';
import type { PaymentEventsGateway, PaymentGateway } from '../../functions/domain/ports.ts';
import type { transitionOrder as TransitionOrder } from '../../functions/payments/effects.ts';
import { checkoutBody, type TestStore } from './api.ts';
import { simulatorStripe } from './stripe.ts';

export type Order = {
  id: string;
  status: string;
  paymentStatus: string;
  fraudStatus: string;
  holdReason?: string;
  cancelReason?: string;
  fraud?: { decision: string; score: number; decidedBy: string };
  amounts: { total: number; captured: number; refunded: number };
  timeline: { type: string; detail?: string }[];
  payment: { paymentIntentId: string };
};

/** Polls `read` until `done` holds or the deadline passes; returns the last value read. */
/** Polls `read` every 100 ms until `done` or the deadline; returns the last value for the test to assert on. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

export const getOrder = async (store: TestStore, id: string) =>
  (await store.call<Order>('GET', `/v1/orders/${id}`)).body;

export async function placeOrder(store: TestStore, sku: string, quantity = 1): Promise<Order> {
  const response = await store.call<Order>('POST', '/v1/checkouts', {
    body: checkoutBody([{ sku, quantity }]),
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return response.body;
}

/** Adapters on the stack's DynamoDB Local and Stripe simulator, as the functions build them. */
export async function stackAdapters(): Promise<{
  orders: OrdersRepository;
  payments: PaymentGateway & PaymentEventsGateway;
  transitionOrder: typeof TransitionOrder;
}> {
  Object.assign(process.env, inject('stackEnvironment'));
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  const { OrdersRepository } = await import('../../functions/adapters/orders-repository.ts');
  const { lazyStripeClient, stripeGateway } = await import('../../functions/adapters/stripe-gateway.ts');
  const { transitionOrder } = await import('../../functions/payments/effects.ts');
  return {
    orders: new OrdersRepository(documentClient, mainTableName()),
    payments: stripeGateway(lazyStripeClient(async () => 'sk_test_orders_flow')),
    transitionOrder,
  };
}

/** How long the fraud screening consumer gets before the test records the rules' decision itself. */
const screeningGraceMs = 8_000;

/** Pays with `pm_card_riskLevelElevated` and waits until the order is on hold for review. */
export async function orderInReview(store: TestStore, sku: string, quantity = 1): Promise<Order> {
  const placed = await placeOrder(store, sku, quantity);
  await simulatorStripe().paymentIntents.confirm(placed.payment.paymentIntentId, {
    payment_method: 'pm_card_riskLevelElevated',
  });
  const screened = await eventually(
    () => getOrder(store, placed.id),
    (order) =>
      order.status === 'on_hold' || (order.fraudStatus !== 'pending' && order.status !== 'pending_payment'),
    screeningGraceMs,
  );
  if (screened.status !== 'on_hold') {
    const { orders, payments, transitionOrder } = await stackAdapters();
    await transitionOrder({ orders, payments }, { storeId: store.id, orderId: placed.id }, (order) =>
      order.fraudStatus === 'pending'
        ? {
            kind: 'fraud_decided',
            decision: {
              decision: 'review',
              score: 50,
              reasons: [{ rule: 'stripe_risk', points: 50, detail: 'elevated' }],
              decidedAt: new Date().toISOString(),
              decidedBy: 'rules',
            },
          }
        : undefined,
    );
  }
  const held = await eventually(
    () => getOrder(store, placed.id),
    (order) => order.status === 'on_hold',
  );
  if (held.status !== 'on_hold') throw new Error(`order not on hold: ${JSON.stringify(held)}`);
  return held;
}

/**
 * Pays with `paymentMethod` and waits until the payment is captured: by the fraud screening
 * consumer's approval if it runs, else captured here through the simulator, as an approval would.
 */
export async function capturedOrder(
  store: TestStore,
  sku: string,
  paymentMethod = 'pm_card_visa',
): Promise<Order> {
  const stripe = simulatorStripe();
  const placed = await placeOrder(store, sku);
  await stripe.paymentIntents.confirm(placed.payment.paymentIntentId, { payment_method: paymentMethod });
  const screened = await eventually(
    () => getOrder(store, placed.id),
    (order) => order.amounts.captured > 0,
    screeningGraceMs,
  );
  if (screened.amounts.captured === 0) {
    const intent = await stripe.paymentIntents.retrieve(placed.payment.paymentIntentId);
    if (intent.status === 'requires_capture') {
      // The consumer may capture at the same moment; the capture that loses is refused, harmlessly.
      await stripe.paymentIntents.capture(intent.id).catch(() => undefined);
    }
  }
  const captured = await eventually(
    () => getOrder(store, placed.id),
    (order) => order.amounts.captured > 0,
  );
  if (captured.amounts.captured === 0) throw new Error(`order not captured: ${JSON.stringify(captured)}`);
  return captured;
}
