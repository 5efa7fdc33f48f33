import { CheckoutRepository } from '../adapters/checkout-repository.ts';
import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { emailDigest } from '../adapters/email-digest.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { logger } from '../adapters/logger.ts';
import { emailHashKey, stripeSecretKey } from '../adapters/secrets.ts';
import { StoreReader } from '../adapters/store-reader.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { randomIds, systemClock } from '../adapters/system.ts';
import { orderView } from '../domain/order.ts';
import { created, httpHandler, storeRoute } from '../http/api.ts';
import { checkoutOperation } from './api.ts';
import { checkout } from './checkout.ts';

const tableName = mainTableName();
const authenticator = new StoreReader(documentClient, tableName);
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());
const dependencies = {
  orders: new CheckoutRepository(documentClient, tableName),
  payments: stripeGateway(lazyStripeClient(stripeSecretKey)),
  clock: systemClock,
  ids: randomIds,
  emailDigest: async (normalizedEmail: string) => emailDigest(normalizedEmail, await emailHashKey()),
  onOrphanedPaymentIntent: (paymentIntentId: string, error: unknown) =>
    logger.warn('could not cancel the PaymentIntent of a failed checkout', {
      paymentIntentId,
      error: String(error),
    }),
};

export const handler = httpHandler([
  storeRoute(checkoutOperation, { authenticator, idempotency }, async ({ store, body }) => {
    const { order, clientSecret } = await checkout(dependencies, store, body);
    return created({ ...orderView(order), payment: { ...order.payment, clientSecret } });
  }),
]);
