/**
 * KPIs (contract section 8, docs/kpis.md), pure: no DynamoDB, no clock.
 *
 * - `kpis/calendar.ts`: store-local dates, the UTC hours of a local day, ISO weeks, months, quarters.
 * - `kpis/facts.ts`: the facts an order implies (`factsOf`), those a change brings (`factsBetween`),
 *   their keys and stale markers.
 * - `kpis/contribution.ts`: what a fact adds to its day through its order as it is now, and the
 *   facts whose contribution a change revised (their days are rolled up again).
 * - `kpis/rollup.ts`: the streamed fold of a day's facts into additive partials per dimension,
 *   value and currency; partials of days merge into those of a period.
 * - `kpis/metrics.ts`: the contract's metrics from partials.
 */
export * from './kpis/calendar.ts';
export * from './kpis/contribution.ts';
export * from './kpis/facts.ts';
export * from './kpis/metrics.ts';
export * from './kpis/rollup.ts';
