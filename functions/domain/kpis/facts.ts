/**
 * KPI facts (docs/kpis.md): the things the KPIs count, each at the moment it happened.
 *
 * Facts are DERIVED from the order, never written by hand: `factsOf(order)` lists every fact the
 * order's state implies, and `factsBetween(before, after)` the ones a change brought. Order
 * writers put those beside the order in the same transaction, under deterministic keys, so a
 * retried write puts the same items again.
 *
 * A fact is identified by its type, order, sub-id AND time. Some times can move: the earliest
 * `delivered` event of a shipment moves earlier when an earlier scan arrives late, a dispute's
 * `statusAt` is the earliest observation of its status, a carrier may resend an event id with
 * another body. The moved fact is then a new fact, and the old one stays in the table; the rollup
 * counts a fact only while the order still implies it (`isCurrentFact`), so each delivery, loss or
 * screening is counted once, on the day it happened according to the order as it is now.
 */
import * as z from 'zod/mini';
import type { Order } from '../order.ts';
import { lazySchema, Timestamp } from '../schemas.ts';
import { canonicalTime } from '../timeline.ts';
import { utcHourOf } from './calendar.ts';

export const factTypes = [
  'checkout_created',
  'payment_failed',
  'payment_captured',
  'refund_created',
  'fraud_screened',
  'dispute_opened',
  'dispute_lost',
  'shipment_created',
  'shipment_delivered',
  'shipment_exception',
] as const;
export type FactType = (typeof factTypes)[number];

/** A fact as stored (its item's attributes besides the keys and `ttl`). */
export const Fact = lazySchema(() =>
  z.object({
    type: z.enum(factTypes),
    at: Timestamp,
    orderId: z.string(),
    subId: z.optional(z.string()),
  }),
);

export interface Fact {
  readonly type: FactType;
  /** RFC 3339 UTC with milliseconds, so facts sort by time as strings. */
  readonly at: string;
  readonly orderId: string;
  /** The attempt, refund, dispute or shipment id; `<shipmentId>#<eventId>` for an exception. */
  readonly subId?: string | undefined;
}

const hourMs = 3_600_000;

/** A fact written more than this after it happened marks its hour stale (docs/kpis.md). */
export const lateAfterMs = hourMs;

/** Every fact the order implies now, in key order. */
export function factsOf(order: Order): Fact[] {
  const facts: Fact[] = [];
  const add = (type: FactType, at: string, subId?: string) =>
    facts.push({
      type,
      at: canonicalTime(at),
      orderId: order.id,
      ...(subId === undefined ? {} : { subId }),
    });

  add('checkout_created', order.createdAt);
  const payment = order.paymentFacts;
  if (payment !== undefined) {
    for (const attempt of payment.failedAttempts) add('payment_failed', attempt.at, attempt.id);
    if (payment.capture !== undefined) add('payment_captured', payment.capture.at);
    const screenedAt = firstRulesDecisionAt(order);
    if (screenedAt !== undefined) add('fraud_screened', screenedAt);
    for (const refund of payment.refunds) add('refund_created', refund.created, refund.id);
    for (const dispute of payment.disputes) {
      add('dispute_opened', dispute.created, dispute.id);
      if (dispute.status === 'lost') add('dispute_lost', dispute.statusAt, dispute.id);
    }
  }
  for (const shipment of order.shipments) {
    add('shipment_created', shipment.createdAt, shipment.id);
    const deliveredAt = deliveredAtOf(shipment);
    if (deliveredAt !== undefined) add('shipment_delivered', deliveredAt, shipment.id);
    for (const event of shipment.events) {
      if (event.status === 'exception' || event.status === 'returned') {
        add('shipment_exception', event.occurredAt, `${shipment.id}#${event.eventId}`);
      }
    }
  }
  return facts.sort((a, b) => compareStrings(factSortKey(a), factSortKey(b)));
}

/**
 * The facts that the change from `before` to `after` brought, in key order; `before` undefined is
 * the checkout (`checkout_created`). A fact whose time moved is brought again at its new time.
 */
export function factsBetween(before: Order | undefined, after: Order): Fact[] {
  if (before !== undefined && before.id !== after.id) {
    throw new Error(`factsBetween compares one order: ${before.id} then ${after.id}`);
  }
  const known = new Set(before === undefined ? [] : factsOf(before).map(factSortKey));
  return factsOf(after).filter((fact) => !known.has(factSortKey(fact)));
}

/** Whether the order, as it is now, still implies `fact` (its time has not moved). */
export function isCurrentFact(order: Order, fact: Fact): boolean {
  return order.id === fact.orderId && currentFactKeys(order).has(factSortKey(fact));
}

const currentKeysByOrder = new WeakMap<Order, ReadonlySet<string>>();

/** Remembered per order object: a rollup asks once for each of an order's facts of the day. */
function currentFactKeys(order: Order): ReadonlySet<string> {
  let keys = currentKeysByOrder.get(order);
  if (keys === undefined) {
    keys = new Set(factsOf(order).map(factSortKey));
    currentKeysByOrder.set(order, keys);
  }
  return keys;
}

/**
 * The fact's item key: partitioned by the UTC hour it happened in (a local day is read as the
 * hours that overlap it, whatever the store's timezone is by then), sorted by time.
 */
export function factKey(storeId: string, fact: Fact): { readonly pk: string; readonly sk: string } {
  return { pk: factPartition(storeId, utcHourOf(fact.at)), sk: factSortKey(fact) };
}

/** The partition of a store's facts of one UTC hour (`yyyy-mm-ddThh`). */
export function factPartition(storeId: string, utcHour: string): string {
  return `STORE#${storeId}#FACTS#${utcHour}`;
}

/** `<at>#<type>#<orderId>[#<subId>]`. */
export function factSortKey(fact: Fact): string {
  const key = `${canonicalTime(fact.at)}#${fact.type}#${fact.orderId}`;
  return fact.subId === undefined ? key : `${key}#${fact.subId}`;
}

/** Written more than an hour after it happened: its hour gets a stale marker. */
export function isLate(fact: Fact, now: Date): boolean {
  return now.getTime() - Date.parse(fact.at) > lateAfterMs;
}

/** The stale marker of the fact's UTC hour (`STORE#<storeId>#STALE` / `<yyyy-mm-ddThh>`). */
export function staleMarkerKey(storeId: string, fact: Fact): { readonly pk: string; readonly sk: string } {
  return { pk: `STORE#${storeId}#STALE`, sk: utcHourOf(fact.at) };
}

// ---------------------------------------------------------------------------------------------
// What the facts are read from

type Shipment = Order['shipments'][number];

/** When the screening first decided: the earliest decision of the rules. */
export function firstRulesDecisionAt(order: Order): string | undefined {
  const times = (order.paymentFacts?.decisions ?? [])
    .filter((decision) => decision.decidedBy === 'rules')
    .map((decision) => canonicalTime(decision.decidedAt));
  return minimum(times);
}

/** The shipment's earliest `delivered` event: scans can arrive late and out of order. */
export function deliveredAtOf(shipment: Shipment): string | undefined {
  return minimum(
    shipment.events
      .filter((event) => event.status === 'delivered')
      .map((event) => canonicalTime(event.occurredAt)),
  );
}

/** The order's first shipment: the earliest created (then the smaller id). */
export function firstShipmentOf(order: Order): Shipment | undefined {
  let first: Shipment | undefined;
  for (const shipment of order.shipments) {
    if (
      first === undefined ||
      compareStrings(canonicalTime(shipment.createdAt), canonicalTime(first.createdAt)) < 0 ||
      (canonicalTime(shipment.createdAt) === canonicalTime(first.createdAt) && shipment.id < first.id)
    ) {
      first = shipment;
    }
  }
  return first;
}

function minimum(times: readonly string[]): string | undefined {
  let least: string | undefined;
  for (const time of times) if (least === undefined || time < least) least = time;
  return least;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
