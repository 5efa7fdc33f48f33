import * as z from 'zod/mini';
import { OrderStatus, OrderView } from '../domain/order.ts';
import { Timestamp, text } from '../domain/schemas.ts';
import { PageQuery, pageOf } from '../http/common-schemas.ts';
import { operation } from '../http/operation.ts';

const OrderParams = z.strictObject({ orderId: text(1, 64) });

export const ListOrdersQuery = z.extend(PageQuery, {
  status: z.optional(OrderStatus),
  createdFrom: z.optional(Timestamp),
  createdTo: z.optional(Timestamp),
});

export const CancelOrderRequest = z.strictObject({ reason: z.optional(text(1, 500)) });

export const getOrderOperation = operation({
  route: 'GET /v1/orders/{orderId}',
  auth: 'store',
  summary: 'An order',
  tag: 'Orders',
  params: OrderParams,
  responses: { 200: { description: 'The order', schema: OrderView } },
  errors: ['not_found'],
});

export const listOrdersOperation = operation({
  route: 'GET /v1/orders',
  auth: 'store',
  summary: 'Orders, newest first, optionally in one status and a creation window',
  tag: 'Orders',
  query: ListOrdersQuery,
  responses: { 200: { description: 'A page of orders', schema: pageOf(OrderView) } },
  errors: ['validation_failed'],
});

export const cancelOrderOperation = operation({
  route: 'POST /v1/orders/{orderId}/cancel',
  auth: 'store',
  summary: 'Cancel an unpaid or unreviewed order: its PaymentIntent is cancelled and its stock released',
  tag: 'Orders',
  params: OrderParams,
  body: CancelOrderRequest,
  responses: { 200: { description: 'The cancelled order', schema: OrderView } },
  errors: ['validation_failed', 'not_found', 'invalid_state', 'upstream_unavailable'],
});

export const orderOperations = [getOrderOperation, listOrdersOperation, cancelOrderOperation];
