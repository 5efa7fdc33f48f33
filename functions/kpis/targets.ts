/**
 * Targets (contract section 8, docs/kpis.md): a store's goal for a month or a quarter, one number
 * per scalar metric, and the attainment of that period's `all` rows against it. One map serves
 * every currency's `all` row of the period: a store that sells in several currencies sets goals
 * that mean the same in each (counts and rates), or reads the attainment of its main currency.
 */
import * as z from 'zod/mini';
import type { KpiMetrics } from '../domain/kpis.ts';
import { decimalFromNumber, divideRoundHalfAwayFromZero } from '../domain/money.ts';
import type { Clock } from '../domain/ports.ts';

/** The metrics that are one number (or null), as opposed to the `{ p50, p90 }` percentiles. */
export type TargetMetric = {
  [M in keyof KpiMetrics]-?: KpiMetrics[M] extends number | null ? M : never;
}[keyof KpiMetrics];

// A Record over the type, so a scalar metric added to KpiMetrics fails to compile until listed here.
const targetMetricSet: Record<TargetMetric, true> = {
  ordersPaid: true,
  grossSales: true,
  discounts: true,
  shippingCharged: true,
  taxCollected: true,
  unitsSold: true,
  refunds: true,
  netSales: true,
  averageOrderValue: true,
  checkoutsStarted: true,
  checkoutsPaid: true,
  conversionRate: true,
  checkoutsAbandoned: true,
  abandonedValue: true,
  paymentFailureRate: true,
  fraudScreened: true,
  fraudApproved: true,
  fraudReviewed: true,
  fraudRejected: true,
  fraudRejectRate: true,
  disputesOpened: true,
  disputedAmount: true,
  disputesLost: true,
  ordersShipped: true,
  onTimeShipRate: true,
  shipmentsDelivered: true,
  deliveryExceptions: true,
};
export const targetMetrics = Object.keys(targetMetricSet) as readonly TargetMetric[];

export type Targets = Partial<Record<TargetMetric, number>>;

const targetValue = z.number().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));

/** A period's targets: any of the scalar metrics, each a number ≥ 0; no other property. */
export const TargetValues = z.strictObject(
  Object.fromEntries(targetMetrics.map((metric) => [metric, z.optional(targetValue)])) as Record<
    TargetMetric,
    z.ZodMiniOptional<typeof targetValue>
  >,
);
export type Attainment = Partial<Record<TargetMetric, number | null>>;

export interface StoredTargets {
  readonly period: string;
  readonly targets: Targets;
  readonly updatedAt: string;
}

export interface TargetStore {
  /** Replaces the period's targets as a whole. */
  putTargets(storeId: string, targets: StoredTargets): Promise<void>;
}

/** `PUT /v1/targets/{period}`: the period (a month or a quarter) is checked by the request schema. */
export async function setTargets(
  dependencies: { readonly targets: TargetStore; readonly clock: Clock },
  input: { readonly storeId: string; readonly period: string; readonly targets: Targets },
): Promise<StoredTargets> {
  const stored: StoredTargets = {
    period: input.period,
    targets: input.targets,
    updatedAt: dependencies.clock.now().toISOString(),
  };
  await dependencies.targets.putTargets(input.storeId, stored);
  return stored;
}

/**
 * Each targeted metric's actual ÷ target, to 4 decimals half away from zero, computed on the
 * decimals as written (a target of `0.35` is 35/100); null where the actual is null or the target 0.
 */
export function attainmentOf(metrics: KpiMetrics, targets: Targets): Attainment {
  const attainment: Attainment = {};
  for (const metric of targetMetrics) {
    const target = targets[metric];
    if (target === undefined) continue;
    const actual = metrics[metric];
    attainment[metric] = actual === null || target === 0 ? null : ratio(actual, target);
  }
  return attainment;
}

function ratio(actual: number, target: number): number | null {
  const a = decimalFromNumber(actual);
  const t = decimalFromNumber(target);
  // (a.units / 10^a.scale) ÷ (t.units / 10^t.scale) × 10^4, as one integer division.
  const tenThousandths = divideRoundHalfAwayFromZero(
    a.units * 10n ** BigInt(t.scale + 4),
    t.units * 10n ** BigInt(a.scale),
  );
  const value = Number(tenThousandths) / 10_000;
  // Only a target below ~1e-290 overflows a double; it is as meaningless as a target of 0.
  return Number.isFinite(value) ? value : null;
}
