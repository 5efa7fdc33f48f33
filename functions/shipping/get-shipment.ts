/**
 * `GET /v1/shipments/{id}`: the store-scoped reference names the order, and the shipment is read
 * from it. Another store's shipment id has no reference under this store, so it is simply not found.
 */
import { NotFound } from '../domain/errors.ts';
import { findShipment, type Shipment } from '../domain/shipping.ts';
import type { Shipments } from './create-shipment.ts';

export async function getShipment(
  shipments: Pick<Shipments, 'orderIdOf' | 'getOrder'>,
  storeId: string,
  shipmentId: string,
): Promise<Shipment> {
  const orderId = await shipments.orderIdOf(storeId, shipmentId);
  const stored = orderId === undefined ? undefined : await shipments.getOrder(storeId, orderId);
  const shipment = stored === undefined ? undefined : findShipment(stored.order, shipmentId);
  if (shipment === undefined) throw new NotFound(`No shipment "${shipmentId}".`);
  return shipment;
}
