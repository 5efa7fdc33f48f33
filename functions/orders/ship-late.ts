/**
 * The sweeper's late-shipping flag (issue 4, contract section 2 `fulfilment.shipWithinHours`): a
 * paid order with units still unshipped that long after its capture gets one `ship_late`
 * timeline entry.
 *
 * Found without a Scan through the sparse due index, as review timeouts are: the order's write
 * files it under `DUE#ship#<shard>` at its capture plus the SHORTEST setting a store may choose
 * (1 h), because it does not read store settings. Here each due order is re-checked against its
 * store's current setting and, when not late yet, deferred to its store's own due time. The flag
 * is written with the order's version guard and takes the order out of the index (`shipDueAt`
 * is undefined once flagged), so however many sweeps race, an order is flagged once.
 */
import type { Order } from '../domain/order.ts';
import type { Clock } from '../domain/ports.ts';
import { flagShipLate, shipDueAt } from '../domain/ship-deadline.ts';
import type { StoredOrderRef } from './cancel.ts';

export interface ShipLateOrders {
  dueShipments(now: string, limitPerShard: number): Promise<StoredOrderRef[]>;
  deferShipDue(stored: StoredOrderRef, dueAt: string): Promise<'deferred' | 'conflict'>;
  get(storeId: string, orderId: string): Promise<StoredOrderRef | undefined>;
  save(stored: StoredOrderRef, next: Order): Promise<'saved' | 'conflict'>;
}

export interface ShipLateDependencies {
  readonly orders: ShipLateOrders;
  readonly clock: Clock;
  /** The store's `fulfilment.shipWithinHours`, or undefined when the store is gone. */
  readonly shipWithinHours: (storeId: string) => Promise<number | undefined>;
}

export interface ShipLateReport {
  readonly flagged: number;
  readonly deferred: number;
  readonly failed: number;
}

/** The contract's default, for an order whose store cannot be read any more. */
const defaultShipWithinHours = 48;
/** Lost races on one order before leaving it to the next sweep. */
const attempts = 5;

export async function flagLateShipments(
  deps: ShipLateDependencies,
  onFailure: (orderId: string, error: unknown) => void,
): Promise<ShipLateReport> {
  const now = deps.clock.now();
  const due = await deps.orders.dueShipments(now.toISOString(), 100);
  const settings = new Map<string, Promise<number | undefined>>();
  let flagged = 0;
  let deferred = 0;
  let failed = 0;
  for (const indexed of due) {
    try {
      let hours = settings.get(indexed.storeId);
      if (hours === undefined) {
        hours = deps.shipWithinHours(indexed.storeId);
        settings.set(indexed.storeId, hours);
      }
      const outcome = await flagIfLate(deps, indexed, (await hours) ?? defaultShipWithinHours, now);
      if (outcome === 'flagged') flagged++;
      if (outcome === 'deferred') deferred++;
    } catch (error) {
      failed++;
      onFailure(indexed.order.id, error);
    }
  }
  return { flagged, deferred, failed };
}

/**
 * Flags the order if it is late under the store's `hours`, else defers it. The index's copy is
 * tried first; a lost race re-reads the order itself, which may have shipped meanwhile.
 */
async function flagIfLate(
  deps: ShipLateDependencies,
  indexed: StoredOrderRef,
  hours: number,
  now: Date,
): Promise<'flagged' | 'deferred' | 'unchanged'> {
  let stored: StoredOrderRef | undefined = indexed;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (stored === undefined) return 'unchanged';
    const dueAt = shipDueAt(stored.order, hours);
    if (dueAt === undefined) return 'unchanged';
    if (dueAt > now.toISOString()) {
      // A lost race here only means the order was written since: its write re-filed it.
      return (await deps.orders.deferShipDue(stored, dueAt)) === 'deferred' ? 'deferred' : 'unchanged';
    }
    if ((await deps.orders.save(stored, flagShipLate(stored.order, hours, now))) === 'saved')
      return 'flagged';
    stored = await deps.orders.get(indexed.storeId, indexed.order.id);
  }
  throw new Error(`order ${indexed.order.id} kept changing while it was flagged as late to ship`);
}
