import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { logger } from '../adapters/logger.ts';
import { OrdersRepository } from '../adapters/orders-repository.ts';
import { stripeSecretKey } from '../adapters/secrets.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { systemClock } from '../adapters/system.ts';
import { NotFound } from '../domain/errors.ts';
import { cancellableStatuses, orderPageView, orderView } from '../domain/order.ts';
import { created, httpHandler, ok, type Route, storeRoute } from '../http/api.ts';
import { cancelOrderOperation, getOrderOperation, listOrdersOperation } from './api.ts';
import { cancelStoreOrder } from './cancel.ts';
import { refundOrder } from './refunds.ts';
import { decideReview, listReviews } from './reviews.ts';
import { createRefundOperation, listReviewsOperation, reviewOrderOperation } from './reviews-api.ts';

const tableName = mainTableName();
const orders = new OrdersRepository(documentClient, tableName);
const authenticator = new StoresRepository(documentClient, tableName);
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());
const payments = stripeGateway(lazyStripeClient(stripeSecretKey));

const onEffectRefused = (
  effect: { kind: string },
  orderId: string,
  error: { providerCode?: string | undefined },
) => logger.warn('effect refused by Stripe', { kind: effect.kind, orderId, code: error.providerCode });

/**
 * The refund route reads the request's Idempotency-Key itself: its Stripe idempotency key is
 * derived from it (see `refundIdempotencyKey`), which the generic store route does not pass on.
 */
const refundRoute: Route = {
  operation: createRefundOperation,
  handle: (request) =>
    storeRoute(createRefundOperation, { authenticator, idempotency }, async ({ store, params, body }) =>
      created(
        await refundOrder(
          { orders, payments },
          {
            storeId: store.id,
            orderId: params.orderId,
            amount: body.amount,
            reason: body.reason,
            idempotencyKey: header(request.event.headers, 'idempotency-key'),
          },
        ),
      ),
    ).handle(request),
};

function header(headers: Readonly<Record<string, string | undefined>> | undefined, name: string) {
  const found = Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

export const handler = httpHandler([
  storeRoute(getOrderOperation, { authenticator }, async ({ store, params }) => {
    const stored = await orders.get(store.id, params.orderId);
    if (stored === undefined) throw new NotFound(`No order "${params.orderId}".`);
    return ok(orderView(stored.order));
  }),

  storeRoute(listOrdersOperation, { authenticator }, async ({ store, query }) =>
    ok(orderPageView(await orders.list(store.id, query, query.limit, query.cursor))),
  ),

  storeRoute(cancelOrderOperation, { authenticator, idempotency }, async ({ store, params, body }) =>
    ok(
      orderView(
        await cancelStoreOrder(
          { orders, payments, clock: systemClock },
          {
            storeId: store.id,
            orderId: params.orderId,
            reason: 'requested',
            from: cancellableStatuses,
            stripeReason: 'requested_by_customer',
            note: body.reason,
          },
        ),
      ),
    ),
  ),

  storeRoute(listReviewsOperation, { authenticator }, async ({ store, query }) =>
    ok(orderPageView(await listReviews(orders, store.id, query.limit, query.cursor))),
  ),

  storeRoute(reviewOrderOperation, { authenticator, idempotency }, async ({ store, params, body }) =>
    ok(
      orderView(
        await decideReview(
          { orders, payments, clock: systemClock, onEffectRefused },
          { storeId: store.id, orderId: params.orderId, decision: body.decision, note: body.note },
        ),
      ),
    ),
  ),

  refundRoute,
]);
