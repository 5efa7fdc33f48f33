/**
 * What the KPI rollup reads and writes on the main table (docs/kpis.md): a store-day's facts, hour
 * partition by hour partition; the orders they name, by BatchGetItem; the day rows a period merges;
 * and a period's rows, replaced as a whole. Every read is a Query or a BatchGetItem on a designed
 * key, so a rollup's cost grows with its own day (or period) only, never with the table.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  type Dimension,
  dimensions,
  Fact,
  factPartition,
  granularityOf,
  KpiPartials,
  type KpiRow,
  type PartialsRow,
  utcHoursOfLocalDay,
} from '../domain/kpis.ts';
import type { Order } from '../domain/order.ts';
import { Currency, lazySchema } from '../domain/schemas.ts';
import { kpiRowKey, kpiRowPartition, kpiRowRange } from './kpi-keys.ts';
import { orderKey, storedOrder } from './order-items.ts';
import { queryItems } from './query-items.ts';

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** DynamoDB's limits per BatchGetItem and per BatchWriteItem. */
const keysPerBatchGet = 100;
const requestsPerBatchWrite = 25;
/** Rounds of unprocessed keys or items before giving up (DynamoDB throttled us that long). */
const batchAttempts = 8;

/**
 * Facts per Query page. A page is what the rollup holds at once besides its accumulator, so a
 * bounded page keeps its memory flat however busy the hour; a page of 1 000 facts is ~250 KB.
 */
const defaultFactsPerPage = 1_000;

/** A stored day row as the period rollup needs it (its metrics are recomputed from the partials). */
const StoredDayRow = lazySchema(() =>
  z.object({
    dimension: z.enum(dimensions),
    value: z.nullable(z.string()),
    currency: Currency,
    partials: KpiPartials(),
  }),
);

export class KpiRepository {
  private readonly factsPerPage: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { readonly factsPerPage?: number } = {},
  ) {
    this.factsPerPage = options.factsPerPage ?? defaultFactsPerPage;
  }

  /**
   * The facts of the UTC hours that overlap the store's local day `date`, a page at a time (facts
   * of a neighbouring local date share the first and last hours in zones with :30 or :45 offsets;
   * the caller keeps the day's). Each stored fact is yielded once.
   */
  async *factsOfLocalDay(storeId: string, date: string, timeZone: string): AsyncGenerator<Fact[]> {
    for (const hour of utcHoursOfLocalDay(date, timeZone)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': factPartition(storeId, hour) },
            // `type` is a reserved word; the keys and `ttl` are not needed.
            ProjectionExpression: '#type, #at, orderId, subId',
            ExpressionAttributeNames: { '#type': 'type', '#at': 'at' },
            Limit: this.factsPerPage,
            ExclusiveStartKey: startKey,
          }),
        );
        const facts = (page.Items ?? []).map((item) => parseFact(item, hour));
        if (facts.length > 0) yield facts;
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
  }

  /** The store's orders among `ids` (those that exist), by id; calls of 100 keys. */
  async ordersByIds(storeId: string, ids: readonly string[]): Promise<Map<string, Order>> {
    const orders = new Map<string, Order>();
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += keysPerBatchGet) {
      let keys: Record<string, unknown>[] = unique
        .slice(start, start + keysPerBatchGet)
        .map((id) => orderKey(storeId, id));
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > batchAttempts) throw new Error(`BatchGetItem left ${keys.length} orders unread`);
        if (attempt > 1) await backoff(attempt);
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const { order } = storedOrder(item);
          orders.set(order.id, order);
        }
        keys = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return orders;
  }

  /**
   * Replaces the rows of one period and dimension with `rows`: puts every row and deletes the
   * period's rows whose value or currency is no longer there. Day rows keep their partials, which
   * the periods merge; period rows are always recomputed from day rows, so they carry none (a
   * quarter's duration lists would outgrow DynamoDB's 400 KB item for a busy store).
   */
  async replaceRows(
    storeId: string,
    period: string,
    dimension: Dimension,
    rows: readonly KpiRow[],
    computedAt: string,
  ): Promise<void> {
    const granularity = granularityOf(period);
    if (granularity === undefined) throw new RangeError(`not a period: ${period}`);
    const partition = kpiRowPartition(storeId, granularity, dimension);
    const puts: WriteRequest[] = rows.map((row) => {
      if (row.dimension !== dimension) {
        throw new Error(`a ${row.dimension} row given to replace the ${dimension} rows`);
      }
      return {
        PutRequest: {
          Item: {
            ...kpiRowKey(storeId, granularity, dimension, period, row.value, row.currency),
            entity: 'kpiRow',
            period,
            dimension,
            value: row.value,
            currency: row.currency,
            metrics: row.metrics,
            ...(granularity === 'day' ? { partials: row.partials } : {}),
            computedAt,
          },
        },
      };
    });
    const kept = new Set(puts.map((put) => put.PutRequest?.Item?.sk));
    const deletes: WriteRequest[] = (await this.rowKeysOf(partition, period))
      .filter((sk) => !kept.has(sk))
      .map((sk) => ({ DeleteRequest: { Key: { pk: partition, sk } } }));
    await this.batchWrite([...puts, ...deletes]);
  }

  /** The day rows of one dimension from `from` to `to` (local dates, both included). */
  async dayRows(storeId: string, dimension: Dimension, from: string, to: string): Promise<PartialsRow[]> {
    const range = kpiRowRange(from, to);
    const rows: PartialsRow[] = [];
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': kpiRowPartition(storeId, 'day', dimension),
        ':from': range.from,
        ':to': range.to,
      },
      ProjectionExpression: 'dimension, #value, currency, partials',
      ExpressionAttributeNames: { '#value': 'value' },
    });
    for (const item of items) rows.push(StoredDayRow().parse(item));
    return rows;
  }

  /** The sort keys of a period's rows in one partition. */
  private async rowKeysOf(partition: string, period: string): Promise<string[]> {
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :period)',
      ExpressionAttributeValues: { ':pk': partition, ':period': `${period}#` },
      ProjectionExpression: 'sk',
    });
    return items.flatMap((item) => (typeof item.sk === 'string' ? [item.sk] : []));
  }

  private async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    for (let start = 0; start < requests.length; start += requestsPerBatchWrite) {
      let pending = requests.slice(start, start + requestsPerBatchWrite);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > batchAttempts) throw new Error(`BatchWriteItem left ${pending.length} rows unwritten`);
        if (attempt > 1) await backoff(attempt);
        const { UnprocessedItems } = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }
}

/** A fact item as stored by the order writers; anything else is a writer's bug, reported with its hour. */
function parseFact(item: Record<string, unknown>, hour: string): Fact {
  const parsed = Fact().safeParse(item);
  if (!parsed.success) {
    throw new Error(`an unreadable fact in hour ${hour}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Jittered exponential backoff: 50 ms, 100 ms, … up to 2 s. */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}
