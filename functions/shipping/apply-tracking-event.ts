/**
 * Applies one carrier tracking event (contract section 7), as the shipping events consumer
 * receives it: at least once, in any order, possibly before its shipment exists.
 *
 * The tracking head (carrier + tracking number in the store) says which shipment, if any, has
 * the number. With a shipment, the event is merged into it inside its order, written only if the
 * order is still at the version read; a redelivery finds the event there and writes nothing.
 * Without one, the event is kept beside the head and counted on it, in one transaction that fails
 * if a shipment took the number meanwhile. Shipment creation reads the head and the kept events
 * consistently and conditions its own write on that count, so an event is either kept before the
 * shipment's creation read (and the shipment starts with it) or finds the shipment (and is applied
 * to it): none falls between the two.
 */
import type { Order } from '../domain/order.ts';
import { applyTrackingEvents, type TrackingEvent } from '../domain/shipping.ts';

export interface TrackingHead {
  readonly shipmentId?: string | undefined;
  readonly orderId?: string | undefined;
}

export interface VersionedOrder {
  readonly version: number;
  readonly order: Order;
}

export type KeepOutcome =
  /** Kept and counted on the head. */
  | 'kept'
  /** This `eventId` was kept before (a redelivery). */
  | 'already_kept'
  /** A shipment took the tracking number meanwhile: apply the event to it instead. */
  | 'shipment_exists'
  /** A concurrent transaction on the same items; retry. */
  | 'conflict';

/** Where tracking events go (functions/adapters/tracking-repository.ts). */
export interface TrackingEvents {
  /** The tracking head, read strongly consistently; undefined when none exists yet. */
  head(storeId: string, carrier: string, trackingNumber: string): Promise<TrackingHead | undefined>;
  order(storeId: string, orderId: string): Promise<VersionedOrder | undefined>;
  /** Writes `next` if the order is still at `read.version`. */
  saveOrder(storeId: string, read: VersionedOrder, next: Order): Promise<'saved' | 'conflict'>;
  /** Keeps an event for a tracking number no shipment has, counted on its head. */
  keepEarlyEvent(storeId: string, event: TrackingEvent, receivedAt: string): Promise<KeepOutcome>;
}

export interface ApplyTrackingEventDependencies {
  readonly tracking: TrackingEvents;
  /** Waits before a retry; jittered by default. */
  readonly pause?: (attempt: number) => Promise<void>;
}

export type ApplyOutcome = 'applied' | 'unchanged' | 'kept' | 'already_kept';

/** Lost races retried before the message is left to SQS to redeliver. */
const attempts = 8;

export async function applyTrackingEvent(
  deps: ApplyTrackingEventDependencies,
  message: { readonly storeId: string; readonly event: TrackingEvent; readonly receivedAt: string },
): Promise<ApplyOutcome> {
  const { storeId, event, receivedAt } = message;
  const pause = deps.pause ?? jitteredPause;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const head = await deps.tracking.head(storeId, event.carrier, event.trackingNumber);
    if (head?.shipmentId === undefined) {
      const kept = await deps.tracking.keepEarlyEvent(storeId, event, receivedAt);
      if (kept === 'kept' || kept === 'already_kept') return kept;
      // A shipment appeared: the next read of the head finds it, at once.
      if (kept === 'shipment_exists') continue;
    } else {
      const outcome = await applyToShipment(deps.tracking, storeId, head.shipmentId, head.orderId, event);
      if (outcome !== 'conflict') return outcome;
    }
    if (attempt < attempts) await pause(attempt);
  }
  throw new Error(
    `tracking event ${event.eventId} kept losing races on ${event.carrier} ${event.trackingNumber}; SQS will retry`,
  );
}

async function applyToShipment(
  tracking: TrackingEvents,
  storeId: string,
  shipmentId: string,
  orderId: string | undefined,
  event: TrackingEvent,
): Promise<'applied' | 'unchanged' | 'conflict'> {
  // A head names its order whenever it names a shipment; anything else is a broken item, left to the DLQ.
  if (orderId === undefined) throw new Error(`tracking head of shipment ${shipmentId} names no order`);
  const read = await tracking.order(storeId, orderId);
  if (read === undefined) throw new Error(`order ${orderId} of shipment ${shipmentId} not found`);
  const { order, changed } = applyTrackingEvents(read.order, shipmentId, [event]);
  if (!changed) return 'unchanged';
  return (await tracking.saveOrder(storeId, read, order)) === 'saved' ? 'applied' : 'conflict';
}

/** Full jitter, so consumers that lost the same race do not collide again in step. */
function jitteredPause(attempt: number): Promise<void> {
  const ceilingMs = Math.min(1_000, 10 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}
