import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { OrdersRepository } from '../adapters/orders-repository.ts';
import { stripeSecretKey } from '../adapters/secrets.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { systemClock } from '../adapters/system.ts';
import { NotFound } from '../domain/errors.ts';
import { cancellableStatuses } from '../domain/order.ts';
import { httpHandler, ok, storeRoute } from '../http/api.ts';
import { cancelOrderOperation, getOrderOperation, listOrdersOperation } from './api.ts';
import { cancelStoreOrder } from './cancel.ts';

const tableName = mainTableName();
const orders = new OrdersRepository(documentClient, tableName);
const authenticator = new StoresRepository(documentClient, tableName);
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());
const payments = stripeGateway(lazyStripeClient(stripeSecretKey));

export const handler = httpHandler([
  storeRoute(getOrderOperation, { authenticator }, async ({ store, params }) => {
    const stored = await orders.get(store.id, params.orderId);
    if (stored === undefined) throw new NotFound(`No order "${params.orderId}".`);
    return ok(stored.order);
  }),

  storeRoute(listOrdersOperation, { authenticator }, async ({ store, query }) =>
    ok(await orders.list(store.id, query, query.limit, query.cursor)),
  ),

  storeRoute(cancelOrderOperation, { authenticator, idempotency }, async ({ store, params, body }) =>
    ok(
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
]);
