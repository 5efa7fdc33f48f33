import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { KpiReadRepository } from '../adapters/kpi-read-repository.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { systemClock } from '../adapters/system.ts';
import { httpHandler, ok, storeRoute } from '../http/api.ts';
import { listAbandonedLeadsOperation, listKpisOperation, putTargetsOperation } from './api.ts';
import { listAbandonedLeads } from './leads.ts';
import { readKpis } from './read.ts';
import { setTargets } from './targets.ts';

const tableName = mainTableName();
const kpis = new KpiReadRepository(documentClient, tableName);
const authenticator = new StoresRepository(documentClient, tableName);

export const handler = httpHandler([
  storeRoute(listKpisOperation, { authenticator }, async ({ store, query }) =>
    ok(await readKpis(kpis, { storeId: store.id, ...query })),
  ),

  storeRoute(putTargetsOperation, { authenticator }, async ({ store, params, body }) =>
    ok(
      await setTargets(
        { targets: kpis, clock: systemClock },
        { storeId: store.id, period: params.period, targets: body.targets },
      ),
    ),
  ),

  storeRoute(listAbandonedLeadsOperation, { authenticator }, async ({ store, query }) =>
    ok(await listAbandonedLeads(kpis, { storeId: store.id, timeZone: store.timezone, ...query })),
  ),
]);
