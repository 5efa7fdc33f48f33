/** Paid orders of several lines and the shipment shapes, for the shipping tests on the local stack. */
import { checkoutBody, type TestStore } from './api.ts';
import { eventually, getOrder, type Order } from './orders-flow.ts';
import { simulatorStripe } from './stripe.ts';

export type Shipment = {
  id: string;
  orderId: string;
  carrier: string;
  trackingNumber: string;
  service?: string;
  status: string;
  lines: { sku: string; quantity: number }[];
  events: unknown[];
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
  const screened = await eventually(
    () => getOrder(store, id),
    (order) => order.status === 'paid',
    screeningGraceMs,
  );
  if (screened.status !== 'paid') {
    const intent = await stripe.paymentIntents.retrieve(payment.paymentIntentId);
    // The consumer may capture at the same moment; the capture that loses is refused, harmlessly.
    if (intent.status === 'requires_capture') await stripe.paymentIntents.capture(intent.id).catch(() => {});
  }
  const paid = await eventually(
    () => shippedOrder(store, id),
    (order) => order.status === 'paid',
  );
  if (paid.status !== 'paid') throw new Error(`order not paid: ${JSON.stringify(paid)}`);
  return paid;
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
