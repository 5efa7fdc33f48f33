import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { systemClock } from '../adapters/system.ts';
import { created, httpHandler, ok, storeRoute } from '../http/api.ts';
import { getStoreOperation, rotateShippingWebhookSecretOperation, updateStoreOperation } from './api.ts';
import { rotateShippingWebhookSecret, storeView, updateStore } from './stores.ts';

const stores = new StoresRepository(documentClient, mainTableName());
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());

export const handler = httpHandler([
  storeRoute(getStoreOperation, { authenticator: stores }, async ({ store }) => ok(storeView(store))),
  storeRoute(updateStoreOperation, { authenticator: stores }, async ({ store, body }) =>
    ok(storeView(await updateStore({ stores }, store, body))),
  ),
  // A retried rotation without its key would rotate twice and end the first secret's grace at once.
  storeRoute(
    rotateShippingWebhookSecretOperation,
    { authenticator: stores, idempotency },
    async ({ store }) => created(await rotateShippingWebhookSecret({ stores, clock: systemClock }, store)),
  ),
]);
