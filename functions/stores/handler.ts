import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { httpHandler, ok, storeRoute } from '../http/api.ts';
import { getStoreOperation, updateStoreOperation } from './api.ts';
import { storeView, updateStore } from './stores.ts';

const stores = new StoresRepository(documentClient, mainTableName());

export const handler = httpHandler([
  storeRoute(getStoreOperation, { authenticator: stores }, async ({ store }) => ok(storeView(store))),
  storeRoute(updateStoreOperation, { authenticator: stores }, async ({ store, body }) =>
    ok(storeView(await updateStore({ stores }, store, body))),
  ),
]);
