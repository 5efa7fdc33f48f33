/**
 * Paid orders of several lines, shipments of them and the shapes both come back in, for the
 * shipping tests on the local stack (the carriers' side is ./shipping-webhooks.ts).
 */
import { randomUUID } from 'node:crypto';
import { checkoutBody, type TestStore } from './api.ts';
import { eventually, type Order } from './orders-flow.ts';
import { simulatorStripe } from './stripe.ts';

export type TrackingStatus = 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception' | 'returned';

export type TrackingEvent = {
  eventId: string;
  carrier: string;
  trackingNumber: string;
  status: TrackingStatus;
  occurredAt: string;
  location?: string;
  description?: string;
};

export type Shipment = {
  id: string;
  orderId: string;
  carrier: string;
  trackingNumber: string;
  service?: string;
  status: string;
  lines: { sku: string; quantity: number }[];
  events: TrackingEvent[];
  createdAt: string;
  updatedAt: string;
};

export type ShippedOrder = Order & {
  fulfilmentStatus: string;
  lines: { sku: string; quantity: number; shippedQuantity: number }[];
  shipments: Shipment[];
};

/** How long the fraud screening consumer gets to approve and capture before the test captures. */
const screeningGraceMs = 8_000;

/**
 * An order of `items` paid with `pm_card_visa`, waited for until it is `paid`: captured by the
 * fraud screening consumer's approval if it runs, else here through the simulator, as an approval would.
 */
export async function paidOrder(
  store: TestStore,
  items: { sku: string; quantity: number }[],
): Promise<ShippedOrder> {
  const stripe = simulatorStripe();
  const placed = await store.call<Order>('POST', '/v1/checkouts', { body: checkoutBody(items) });
  if (placed.status !== 201) throw new Error(`checkout failed: ${JSON.stringify(placed.body)}`);
  const { id, payment } = placed.body;
  await stripe.paymentIntents.confirm(payment.paymentIntentId, { payment_method: 'pm_card_visa' });
  const paid = (order: ShippedOrder) => order.status === 'paid';
  let order = await eventually(() => shippedOrder(store, id), paid, screeningGraceMs);
  if (!paid(order)) {
    const intent = await stripe.paymentIntents.retrieve(payment.paymentIntentId);
    // The consumer may capture at the same moment; the capture that loses is refused, harmlessly.
    if (intent.status === 'requires_capture') await stripe.paymentIntents.capture(intent.id).catch(() => {});
    order = await eventually(() => shippedOrder(store, id), paid);
  }
  if (!paid(order)) throw new Error(`order not paid: ${JSON.stringify(order)}`);
  return order;
}

export const shippedOrder = async (store: TestStore, id: string) =>
  (await store.call<ShippedOrder>('GET', `/v1/orders/${id}`)).body;

export function ship(
  store: TestStore,
  orderId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return store.call<Shipment>('POST', `/v1/orders/${orderId}/shipments`, { body, headers });
}

/** A shipment by `ups` unless `carrier` says otherwise; throws unless it is created. */
export async function createShipment(
  store: TestStore,
  orderId: string,
  body: { carrier?: string; trackingNumber: string; lines?: { sku: string; quantity: number }[] },
): Promise<Shipment> {
  const response = await ship(
    store,
    orderId,
    { carrier: 'ups', ...body },
    { 'idempotency-key': randomUUID() },
  );
  if (response.status !== 201) {
    throw new Error(`shipment creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}
