import * as z from 'zod/mini';
import { text } from '../domain/schemas.ts';
import { CreateShipmentRequest, ShipmentView } from '../domain/shipping.ts';
import { operation } from '../http/operation.ts';

const OrderParams = z.strictObject({ orderId: text(1, 64) });
const ShipmentParams = z.strictObject({ shipmentId: text(1, 64) });

export const createShipmentOperation = operation({
  route: 'POST /v1/orders/{orderId}/shipments',
  auth: 'store',
  summary:
    'Ship units of a paid order (default: every unit not yet shipped); carrier + tracking number are unique per store',
  tag: 'Shipping',
  params: OrderParams,
  body: CreateShipmentRequest,
  responses: { 201: { description: 'The shipment, label_created', schema: ShipmentView } },
  errors: [
    'validation_failed',
    'not_found',
    'invalid_state',
    'over_fulfilment',
    'duplicate_tracking_number',
    'upstream_unavailable',
  ],
});

export const getShipmentOperation = operation({
  route: 'GET /v1/shipments/{shipmentId}',
  auth: 'store',
  summary: 'A shipment, with its tracking events',
  tag: 'Shipping',
  params: ShipmentParams,
  responses: { 200: { description: 'The shipment', schema: ShipmentView } },
  errors: ['not_found'],
});

export const shipmentOperations = [createShipmentOperation, getShipmentOperation];
