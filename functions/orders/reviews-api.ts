import * as z from 'zod/mini';
import { OrderView } from '../domain/order.ts';
import { integer, text } from '../domain/schemas.ts';
import { PageQuery, pageOf } from '../http/common-schemas.ts';
import { operation } from '../http/operation.ts';

const OrderParams = z.strictObject({ orderId: text(1, 64) });

export const ReviewRequest = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  note: z.optional(text(1, 500)),
});

export const RefundRequest = z.strictObject({
  amount: z.optional(integer(1, Number.MAX_SAFE_INTEGER)),
  reason: z.optional(z.enum(['duplicate', 'fraudulent', 'requested_by_customer'])),
});

const Refund = () => z.object({ id: z.string(), amount: z.int(), status: z.string() });

export const listReviewsOperation = operation({
  route: 'GET /v1/reviews',
  auth: 'store',
  summary: 'Orders on hold for review, oldest first',
  tag: 'Reviews',
  query: PageQuery,
  responses: { 200: { description: 'A page of orders on hold', schema: pageOf(OrderView) } },
  errors: ['validation_failed'],
});

export const reviewOrderOperation = operation({
  route: 'POST /v1/orders/{orderId}/review',
  auth: 'store',
  summary: "A reviewer's decision on an order on hold: approve captures, reject cancels (review_rejected)",
  tag: 'Reviews',
  params: OrderParams,
  body: ReviewRequest,
  responses: { 200: { description: 'The order after the decision', schema: OrderView } },
  errors: ['validation_failed', 'not_found', 'invalid_state', 'upstream_unavailable'],
});

export const createRefundOperation = operation({
  route: 'POST /v1/orders/{orderId}/refunds',
  auth: 'store',
  summary:
    'Refund a captured order (default: all captured and not yet refunded); the order follows through Stripe webhooks',
  tag: 'Orders',
  params: OrderParams,
  body: RefundRequest,
  responses: { 201: { description: "Stripe's refund", schema: Refund } },
  errors: [
    'validation_failed',
    'not_found',
    'invalid_state',
    'refund_exceeds_captured',
    'upstream_unavailable',
  ],
});

export const reviewOperations = [listReviewsOperation, reviewOrderOperation, createRefundOperation];
