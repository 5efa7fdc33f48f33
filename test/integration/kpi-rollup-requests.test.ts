/**
 * Issue 5's acceptance on cost, on the running stack's DynamoDB Local: the requests of one
 * store-day's rollup, recorded by a middleware on its client, are a read of the store, a Query of
 * each UTC hour partition of that local day (never a Scan, never another partition), the
 * BatchGetItem of the orders its facts name and the replacement of its rows; and they are the same
 * requests whether the store's other days hold 1 000 or 10 000 facts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kpiRowPartition } from '../../functions/adapters/kpi-keys.ts';
import { KpiRepository } from '../../functions/adapters/kpi-repository.ts';
import { orderKey } from '../../functions/adapters/order-items.ts';
import { StoresRepository, storeKey } from '../../functions/adapters/stores-repository.ts';
import {
  dimensions,
  factPartition,
  localDate,
  utcHourOf,
  utcHoursOfLocalDay,
} from '../../functions/domain/kpis.ts';
import { type RollupDependencies, rollupStoreDay } from '../../functions/kpis/rollup.ts';
import { createStore } from '../support/api.ts';
import { boundaryDay, factItems, otherDaysFacts, writeItems, writeStories } from '../support/kpi-days.ts';

interface RecordedRequest {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

let writer: DynamoDBDocumentClient;
let tableName: string;
let recorded: RecordedRequest[] = [];
let rollup: RollupDependencies;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const dynamodb = await import('../../functions/adapters/dynamodb.ts');
  writer = dynamodb.documentClient;
  tableName = dynamodb.mainTableName();
  // A client of its own, so that only the rollup's requests are recorded; the region and the
  // credentials come from the stack's environment.
  const recordingClient = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
  recordingClient.middlewareStack.add(
    (next, context) => async (args) => {
      recorded.push({
        command: context.commandName ?? 'unknown',
        input: structuredClone(args.input as Record<string, unknown>),
      });
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  const client = DynamoDBDocumentClient.from(recordingClient);
  rollup = {
    kpis: new KpiRepository(client, tableName),
    stores: new StoresRepository(client, tableName),
    clock: { now: () => new Date('2026-09-20T09:00:00.000Z') },
  };
});

async function recording(run: () => Promise<unknown>): Promise<RecordedRequest[]> {
  recorded = [];
  await run();
  const requests = recorded;
  recorded = [];
  return requests;
}

const partitionOf = (query: RecordedRequest) =>
  (query.input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk'];

describe('the requests of a store-day’s rollup', () => {
  it('read only that day’s partitions and orders, whether other days hold 1 000 or 10 000 facts', async () => {
    const timeZone = 'America/Los_Angeles';
    const date = '2026-09-16';
    const store = await createStore({ timezone: timeZone });
    const day = boundaryDay(timeZone, date);
    await writeStories(writer, tableName, store.id, day.stories);
    await writeItems(
      writer,
      tableName,
      factItems(store.id, otherDaysFacts(timeZone, date, 1_000, 30, 'ord_other')),
    );
    const input = { storeId: store.id, date };
    // From here on the day's rows exist, so each recorded run replaces the same rows.
    await rollupStoreDay(rollup, input);

    const besideThousand = await recording(() => rollupStoreDay(rollup, input));
    // The same 1 000 facts again, and 9 000 more.
    await writeItems(
      writer,
      tableName,
      factItems(store.id, otherDaysFacts(timeZone, date, 10_000, 30, 'ord_other')),
    );
    const besideTenThousand = await recording(() => rollupStoreDay(rollup, input));

    expect(besideTenThousand).toEqual(besideThousand);

    const byCommand = (command: string) => besideThousand.filter((request) => request.command === command);
    expect(new Set(besideThousand.map((request) => request.command))).toEqual(
      new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'BatchWriteItemCommand']),
    );
    expect(byCommand('GetItemCommand').map((request) => request.input.Key)).toEqual([storeKey(store.id)]);

    // One Query per UTC hour of the local day (one page each here), on the base table, then the
    // day's existing rows of each dimension.
    const queries = byCommand('QueryCommand');
    for (const query of queries) expect(query.input.IndexName).toBeUndefined();
    const hours = utcHoursOfLocalDay(date, timeZone);
    expect(hours).toHaveLength(24);
    expect(queries.map(partitionOf)).toEqual([
      ...hours.map((hour) => factPartition(store.id, hour)),
      ...dimensions.map((dimension) => kpiRowPartition(store.id, 'day', dimension)),
    ]);
    expect(queries.map((query) => query.input.KeyConditionExpression)).toEqual([
      ...hours.map(() => 'pk = :pk'),
      ...dimensions.map(() => 'pk = :pk AND begins_with(sk, :period)'),
    ]);

    // The orders named by the day's facts: those of each hour's page, each once per page.
    const factsOfDay = day.stories
      .flatMap((story) => story.facts)
      .filter((fact) => localDate(fact.at, timeZone) === date);
    const namedOrders = new Set(factsOfDay.map((fact) => fact.orderId));
    expect([...namedOrders].sort()).toEqual([
      'ord_abandoned',
      'ord_early',
      'ord_euro',
      'ord_jp',
      'ord_night',
      'ord_rejected',
    ]);
    const keysRead = byCommand('BatchGetItemCommand').flatMap(
      (request) => (request.input.RequestItems as Record<string, { Keys: unknown[] }>)[tableName]?.Keys ?? [],
    );
    expect(new Set(keysRead.map((key) => JSON.stringify(key)))).toEqual(
      new Set([...namedOrders].map((orderId) => JSON.stringify(orderKey(store.id, orderId)))),
    );
    const ordersOfPages = new Set(factsOfDay.map((fact) => `${utcHourOf(fact.at)} ${fact.orderId}`));
    expect(keysRead).toHaveLength(ordersOfPages.size);

    // Writes: the day's rows and nothing else.
    const written = byCommand('BatchWriteItemCommand').flatMap(
      (request) =>
        (request.input.RequestItems as Record<string, { PutRequest?: { Item: { pk: string } } }[]>)[
          tableName
        ] ?? [],
    );
    expect(written.length).toBeGreaterThan(0);
    for (const request of written) {
      expect(request.PutRequest?.Item.pk).toMatch(new RegExp(`^STORE#${store.id}#KPI#day#`));
    }
  }, 180_000);
});
