/**
 * What `GET /v1/kpis`, `PUT /v1/targets/{period}` and `GET /v1/leads/abandoned` read and write on
 * the main table, at the keys of kpi-keys.ts (docs/kpis.md). Every read is a Query on one
 * partition with a sort-key range; items are checked against their schema as they leave the table.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ValidationFailed } from '../domain/errors.ts';
import { type Dimension, type Granularity, granularityOf } from '../domain/kpis.ts';
import { Lead, type LeadStore } from '../kpis/leads.ts';
import { type KpiRowStore, StoredKpiRow } from '../kpis/read.ts';
import { type StoredTargets, type TargetStore, type Targets, TargetValues } from '../kpis/targets.ts';
import { kpiRowPartition, kpiRowRange, kpiTargetKey, leadKey } from './kpi-keys.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { queryItems } from './query-items.ts';

/** A row's shown attributes (several are reserved words, so each goes by a placeholder). */
const rowProjection = (() => {
  const attributes = ['period', 'dimension', 'value', 'currency', 'metrics', 'computedAt'];
  return {
    expression: attributes.map((name) => `#${name}`).join(', '),
    names: Object.fromEntries(attributes.map((name) => [`#${name}`, name])),
  };
})();

export class KpiReadRepository implements KpiRowStore, TargetStore, LeadStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async rowsBetween(
    storeId: string,
    granularity: Granularity,
    dimension: Dimension,
    fromPeriod: string,
    toPeriod: string,
  ): Promise<StoredKpiRow[]> {
    const range = kpiRowRange(fromPeriod, toPeriod);
    const rows: StoredKpiRow[] = [];
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      // The partials (duration lists) stay in the table: only the rollup needs them.
      ProjectionExpression: rowProjection.expression,
      ExpressionAttributeNames: rowProjection.names,
      ExpressionAttributeValues: {
        ':pk': kpiRowPartition(storeId, granularity, dimension),
        ':from': range.from,
        ':to': range.to,
      },
    });
    for (const item of items) rows.push(StoredKpiRow().parse(item));
    return rows;
  }

  async targetsBetween(
    storeId: string,
    fromPeriod: string,
    toPeriod: string,
  ): Promise<ReadonlyMap<string, Targets>> {
    const { pk } = kpiTargetKey(storeId, fromPeriod);
    const granularity = granularityOf(fromPeriod);
    const targets = new Map<string, Targets>();
    // Read after a PUT must show it; a store has a few dozen target items at most.
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': fromPeriod, ':to': toPeriod },
      ConsistentRead: true,
    });
    for (const item of items) {
      const stored = StoredTargetsItem.parse(item);
      // Months and quarters share the partition, and across years one's range holds the other's.
      if (granularityOf(stored.period) === granularity) targets.set(stored.period, stored.targets);
    }
    return targets;
  }

  async putTargets(storeId: string, targets: StoredTargets): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...kpiTargetKey(storeId, targets.period), entity: 'kpiTarget', ...targets },
      }),
    );
  }

  async leadsBetween(
    storeId: string,
    range: { readonly from: string; readonly until: string },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Lead>> {
    const { pk } = leadKey(storeId, range.from, '');
    // A sort key is `<createdAt>#<orderId>`: `until` itself sorts before every lead created at
    // `until`, and after every lead created before it, so BETWEEN excludes `until`.
    const bounds = { from: range.from, to: range.until };
    // One more than asked tells whether another page exists, so the last page says null.
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': bounds.from, ':to': bounds.to },
        Limit: limit + 1,
        ExclusiveStartKey: leadCursor(cursor, pk, bounds),
      }),
    );
    const page = Items.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map((item) => Lead().parse({ ...item, attribution: item.attribution ?? null })),
      nextCursor: Items.length > limit && last !== undefined ? encodeCursor({ pk, sk: last.sk }) : null,
    };
  }
}

const StoredTargetsItem = z.object({ period: z.string(), targets: TargetValues });

/**
 * The cursor of a page of this very query: one of another store's partition or of another date
 * range would make DynamoDB refuse the Query (a 500), so it is a 400 like any cursor not ours.
 */
function leadCursor(
  cursor: string | undefined,
  pk: string,
  bounds: { readonly from: string; readonly to: string },
): Record<string, unknown> | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const { sk } = key;
  const ours =
    Object.keys(key).length === 2 &&
    key.pk === pk &&
    typeof sk === 'string' &&
    sk >= bounds.from &&
    sk <= bounds.to;
  if (ours) return key;
  throw new ValidationFailed('The cursor is not one this API returned for these dates.', {
    errors: [{ path: '/query/cursor', message: 'invalid cursor' }],
  });
}
