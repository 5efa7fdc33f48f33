/**
 * Store days for the KPI rollup tests on DynamoDB Local: orders moved through the real state
 * machines (test/domain/kpis-fixtures.ts), written as the order writers store them, with their
 * facts; and the rows the rollup left, read back.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { kpiRowPartition } from '../../functions/adapters/kpi-keys.ts';
import { orderItem } from '../../functions/adapters/order-items.ts';
import {
  addDays,
  dimensions,
  type Fact,
  factKey,
  type Granularity,
  type KpiRow,
  localDate,
} from '../../functions/domain/kpis.ts';
import { Story } from '../domain/kpis-fixtures.ts';

/**
 * The instant at which clocks in `timeZone` read `time` on `date` plus `days` (away from clock
 * changes, where a local time may not exist).
 */
export function localInstant(timeZone: string, date: string, days: number, time: string): string {
  const day = addDays(date, days);
  const guess = Date.parse(`${day}T${time}:00.000Z`);
  const at = new Date(guess - offsetMs(guess, timeZone)).toISOString();
  if (localDate(at, timeZone) !== day) throw new Error(`${day} ${time} in ${timeZone} came out as ${at}`);
  return at;
}

/** The zone's offset from UTC (local − UTC) at an instant, to the minute. */
export function offsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(ms);
  const part = (type: string) => Number(parts.find((item) => item.type === type)?.value);
  const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return local - Math.floor(ms / 60_000) * 60_000;
}

/**
 * A store's local `date` with facts on both sides of its midnights:
 * - `ord_night`: opened 23:50 the day before, captured 00:05 (its cohort is the day before, its
 *   sale the day's); shipped the day, delivered 00:30 the next day;
 * - `ord_early`: b2b from FR, opened 00:10 with a failed attempt, reviewed and approved, captured,
 *   shipped, two exception scans and delivered, all on the day;
 * - `ord_euro`: eur, outbound, territory `north#1` (a `#` in a value); refunded 23:59, disputed
 *   00:01 the next day;
 * - `ord_rejected`: rejected by the rules;
 * - `ord_abandoned`: opened 23:55, its reservation lapsing 00:25 the next day;
 * - `ord_next`: opened and paid on the next day only;
 * - `ord_jp`: from JP, territory `gone#1`, rep `rep_gone`, shipped the day before and delivered
 *   00:20 on the day: its values are on the day through that delivery alone.
 */
export function boundaryDay(timeZone: string, date: string) {
  const at = (days: number, time: string) => localInstant(timeZone, date, days, time);
  const night = new Story({
    id: 'ord_night',
    at: at(-1, '23:50'),
    lines: [[2, 1500]],
    attribution: { channel: 'inbound', territory: 'west', salesRepId: 'rep_1' },
  })
    .authorize(at(-1, '23:52'))
    .decide('approve', 'rules', at(-1, '23:53'))
    .capture(at(0, '00:05'));
  night.track(night.ship(at(0, '01:35')), 'delivered', at(1, '00:30'));

  const early = new Story({
    id: 'ord_early',
    at: at(0, '00:10'),
    segment: 'b2b',
    country: 'FR',
    lines: [[1, 4200]],
    shipping: 500,
    tax: 300,
  })
    .failAttempt(at(0, '00:11'))
    .authorize(at(0, '00:12'))
    .decide('review', 'rules', at(0, '00:13'))
    .decide('approve', 'reviewer', at(0, '01:00'))
    .capture(at(0, '01:01'));
  const earlyShipment = early.ship(at(0, '04:01'));
  early
    .track(earlyShipment, 'exception', at(0, '05:00'))
    .track(earlyShipment, 'exception', at(0, '06:00'))
    .track(earlyShipment, 'delivered', at(0, '20:00'));

  const euro = new Story({
    id: 'ord_euro',
    at: at(0, '12:00'),
    currency: 'eur',
    attribution: { channel: 'outbound', territory: 'north#1', salesRepId: 'rep_2' },
    lines: [[3, 700]],
    discount: 100,
  })
    .authorize(at(0, '12:01'))
    .decide('approve', 'rules', at(0, '12:02'))
    .capture(at(0, '12:03'))
    .refund({ id: 're_euro', amount: 500, status: 'succeeded', created: at(0, '23:59') })
    .dispute(
      { id: 'dp_euro', amount: 2000, status: 'needs_response', created: at(1, '00:01') },
      at(1, '00:01'),
    );

  const rejected = new Story({ id: 'ord_rejected', at: at(0, '15:00'), attribution: { channel: 'inbound' } })
    .authorize(at(0, '15:01'))
    .decide('reject', 'rules', at(0, '15:02'))
    .intentCanceled(at(0, '15:03'), 'fraudulent');

  const abandoned = new Story({ id: 'ord_abandoned', at: at(0, '23:55'), lines: [[1, 999]] }).cancel(
    'payment_expired',
    at(1, '00:25'),
  );

  const next = new Story({ id: 'ord_next', at: at(1, '00:00') })
    .authorize(at(1, '00:01'))
    .decide('approve', 'rules', at(1, '00:02'))
    .capture(at(1, '00:03'));

  const japan = new Story({
    id: 'ord_jp',
    at: at(-1, '10:00'),
    country: 'JP',
    attribution: { channel: 'outbound', territory: 'gone#1', salesRepId: 'rep_gone' },
  })
    .authorize(at(-1, '10:01'))
    .decide('approve', 'rules', at(-1, '10:02'))
    .capture(at(-1, '10:03'));
  const japanShipment = japan.ship(at(-1, '20:00'));
  japan.track(japanShipment, 'delivered', at(0, '00:20'));

  return {
    stories: [night, early, euro, rejected, abandoned, next, japan],
    /** A scan from before midnight arrives late: the delivery moves to the day before. */
    deliverJapanEarlier: () => japan.track(japanShipment, 'delivered', at(-1, '23:30')),
  };
}

/**
 * `count` facts of orders that do not exist, within `spanDays` of `date` but never on its local
 * day: a store's other days.
 */
export function otherDaysFacts(
  timeZone: string,
  date: string,
  count: number,
  spanDays: number,
  prefix: string,
): Fact[] {
  const facts: Fact[] = [];
  for (let index = 0; facts.length < count; index++) {
    // Spread evenly with a stride co-prime to the span, so every hour of the span gets facts.
    const minute = (index * 7_919) % (2 * spanDays * 24 * 60);
    const at = new Date(
      Date.parse(`${addDays(date, -spanDays)}T00:00:00.000Z`) + minute * 60_000,
    ).toISOString();
    if (localDate(at, timeZone) === date) continue;
    facts.push({ type: 'checkout_created', at, orderId: `${prefix}_${index}` });
  }
  return facts;
}

/**
 * Writes the stories' orders (as the order writers store them) and every fact they brought. The
 * orders are kept out of the due index: the sweepers other tests run must not move them.
 */
export async function writeStories(
  client: DynamoDBDocumentClient,
  tableName: string,
  storeId: string,
  stories: readonly Story[],
): Promise<void> {
  const orders = stories.map((story, index) => {
    const { duepk: _duepk, duesk: _duesk, ...item } = orderItem(storeId, story.order, index + 1);
    return item;
  });
  await writeItems(client, tableName, [
    ...orders,
    ...factItems(
      storeId,
      stories.flatMap((story) => story.facts),
    ),
  ]);
}

export function factItems(storeId: string, facts: readonly Fact[]): Record<string, unknown>[] {
  return facts.map((fact) => ({
    ...factKey(storeId, fact),
    entity: 'fact',
    type: fact.type,
    at: fact.at,
    orderId: fact.orderId,
    ...(fact.subId === undefined ? {} : { subId: fact.subId }),
  }));
}

export async function writeItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
  const put = async (batch: readonly Record<string, unknown>[]) => {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const { UnprocessedItems } = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
      );
      pending = (UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  };
  for (let start = 0; start < batches.length; start += 8) {
    await Promise.all(batches.slice(start, start + 8).map(put));
  }
}

/** A stored KPI row, as the rollup wrote it. */
export interface StoredRow extends KpiRow {
  readonly pk: string;
  readonly sk: string;
  readonly entity: string;
  readonly period: string;
  readonly computedAt: string;
}

/** Every row of `period` in every dimension, in the order `kpiRows` gives them. */
export async function storedRows(
  client: DynamoDBDocumentClient,
  tableName: string,
  storeId: string,
  granularity: Granularity,
  period: string,
): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  for (const dimension of dimensions) {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :period)',
        ExpressionAttributeValues: {
          ':pk': kpiRowPartition(storeId, granularity, dimension),
          ':period': `${period}#`,
        },
        ConsistentRead: true,
      }),
    );
    rows.push(...(Items as StoredRow[]));
  }
  return rows.sort(byRow);
}

/** The order of `kpiRows`: dimension, value, currency. */
export function byRow(a: KpiRow, b: KpiRow): number {
  const rank = (row: KpiRow) => dimensions.indexOf(row.dimension);
  return (
    rank(a) - rank(b) ||
    compareStrings(a.value ?? '', b.value ?? '') ||
    compareStrings(a.currency, b.currency)
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A row's content without its keys and stamp, to compare with `kpiRows`. */
export function contentOf(row: StoredRow): KpiRow {
  return {
    dimension: row.dimension,
    value: row.value,
    currency: row.currency,
    metrics: row.metrics,
    partials: row.partials,
  };
}
