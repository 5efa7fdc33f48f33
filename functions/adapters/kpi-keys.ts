/**
 * Where the KPI items live on the main table (docs/kpis.md), in one place for the writers, the
 * rollup and the readers. Facts and stale markers are keyed by the pure domain
 * (`factKey`, `staleMarkerKey` in functions/domain/kpis/facts.ts); everything else is here.
 */
import type { Dimension, Granularity } from '../domain/kpis.ts';

/** A KPI row's partition: one granularity and dimension of a store. */
export const kpiRowPartition = (storeId: string, granularity: Granularity, dimension: Dimension) =>
  `STORE#${storeId}#KPI#${granularity}#${dimension}`;

/**
 * `<period>#<value>#<currency>`: the value URI-encoded (a territory or sales rep id may hold `#`),
 * empty for `all`; so one period's rows share the prefix `<period>#`.
 */
export const kpiRowSortKey = (period: string, value: string | null, currency: string) =>
  `${period}#${value === null ? '' : encodeURIComponent(value)}#${currency}`;

export const kpiRowKey = (
  storeId: string,
  granularity: Granularity,
  dimension: Dimension,
  period: string,
  value: string | null,
  currency: string,
) => ({ pk: kpiRowPartition(storeId, granularity, dimension), sk: kpiRowSortKey(period, value, currency) });

/** The sort-key range of the periods `from`..`to` (inclusive) of one partition. */
export const kpiRowRange = (fromPeriod: string, toPeriod: string) => ({
  from: `${fromPeriod}#`,
  to: `${toPeriod}#\uffff`,
});

/** A store's targets for a month (`2026-11`) or a quarter (`2026-Q4`). */
export const kpiTargetKey = (storeId: string, period: string) => ({
  pk: `STORE#${storeId}#TARGET`,
  sk: period,
});

/** The partition of a store's stale markers (`staleMarkerKey` builds one marker's key). */
export const staleMarkersPartition = (storeId: string) => `STORE#${storeId}#STALE`;

/** An abandoned-checkout lead, sorted by the order's creation time. */
export const leadKey = (storeId: string, createdAt: string, orderId: string) => ({
  pk: `STORE#${storeId}#LEADS`,
  sk: `${createdAt}#${orderId}`,
});

export const rollupJobKey = (storeId: string, jobId: string) => ({
  pk: `STORE#${storeId}#ROLLUP#${jobId}`,
  sk: '#ROLLUP',
});

/** The stores of a timezone, one item each (the nightly scheduler finds them with a Query). */
export const storesOfZonePartition = (timeZone: string) => `STORES#TZ#${timeZone}`;
export const storeOfZoneKey = (timeZone: string, storeId: string) => ({
  pk: storesOfZonePartition(timeZone),
  sk: storeId,
});

/** The last local date whose night the scheduler took for a zone, and the last it finished. */
export const zoneNightKey = (timeZone: string) => ({ pk: storesOfZonePartition(timeZone), sk: '#NIGHT' });

/** A store's night (by the zone's local date of the night) whose rollup job was started. */
export const storeNightKey = (storeId: string, date: string) => ({
  pk: `STORE#${storeId}#NIGHTS`,
  sk: date,
});

/** The set of timezones that have stores (`zones`, a string set). */
export const timeZonesKey = { pk: 'STORES#TIMEZONES', sk: '#SET' } as const;
