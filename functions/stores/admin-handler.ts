import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { adminToken } from '../adapters/secrets.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { randomIds, systemClock } from '../adapters/system.ts';
import { adminRoute, created, httpHandler } from '../http/api.ts';
import { createStoreOperation } from './api.ts';
import { createStore } from './stores.ts';

const stores = new StoresRepository(documentClient, mainTableName());

export const handler = httpHandler([
  adminRoute(createStoreOperation, adminToken, async ({ body }) =>
    created(await createStore({ stores, clock: systemClock, ids: randomIds }, body)),
  ),
]);
