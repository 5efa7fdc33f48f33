/**
 * A store ships units of a paid order (contract section 7). The shipment is part of its order's
 * item, so creating it is one transaction of three writes: the order (guarded by the version it
 * was read at, so two concurrent shipments can never take the same unit), the shipment's
 * reference, and the tracking head that makes carrier + tracking number unique in the store.
 *
 * Tracking events may arrive before their shipment exists; the shipping events consumer keeps
 * them beside the head and counts them on it. The head is read with its kept events in one
 * consistent Query, and the transaction is conditioned on that count: either the new shipment
 * starts with every event kept so far, or the transaction fails and is retried with the newcomer.
 */
import { DuplicateTrackingNumber, NotFound, UpstreamUnavailable } from '../domain/errors.ts';
import type { Order } from '../domain/order.ts';
import type { Clock, IdGenerator } from '../domain/ports.ts';
import {
  type CreateShipmentRequest,
  earlyEventUsable,
  planShipment,
  type Shipment,
  type TrackingEvent,
} from '../domain/shipping.ts';
import type { StoredOrderRef } from '../orders/cancel.ts';

/** What is known of a carrier + tracking number in a store, read in one consistent Query. */
export interface TrackingState {
  /** The shipment that already carries this tracking number, if one does. */
  readonly shipmentId: string | undefined;
  /** The head's count of events kept for the number before any shipment had it (0 without a head). */
  readonly earlyEventCount: number;
  readonly earlyEvents: readonly { readonly event: TrackingEvent; readonly receivedAt: string }[];
}

export interface ShipmentWrite {
  readonly stored: StoredOrderRef;
  readonly order: Order;
  readonly shipment: Shipment;
  /** The head's `earlyEventCount` as read: the write fails if an event was kept since. */
  readonly earlyEventCount: number;
}

export interface Shipments {
  getOrder(storeId: string, orderId: string): Promise<StoredOrderRef | undefined>;
  readTracking(storeId: string, carrier: string, trackingNumber: string): Promise<TrackingState>;
  /** `conflict`: the order, the head or a concurrent transaction changed; re-read and retry. */
  create(write: ShipmentWrite): Promise<'created' | 'conflict'>;
  /** The order a shipment of the store belongs to, or undefined. */
  orderIdOf(storeId: string, shipmentId: string): Promise<string | undefined>;
}

export interface CreateShipmentDependencies {
  readonly shipments: Shipments;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Lost races retried before answering 503 (each retry re-reads, so most end in a 422 instead). */
const attempts = 8;

export async function createShipment(
  deps: CreateShipmentDependencies,
  request: { readonly storeId: string; readonly orderId: string; readonly body: CreateShipmentRequest },
): Promise<Shipment> {
  const { storeId, orderId, body } = request;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const [stored, tracking] = await Promise.all([
      deps.shipments.getOrder(storeId, orderId),
      deps.shipments.readTracking(storeId, body.carrier, body.trackingNumber),
    ]);
    if (stored === undefined) throw new NotFound(`No order "${orderId}".`);
    if (tracking.shipmentId !== undefined) {
      throw new DuplicateTrackingNumber(
        `The store already has a shipment with ${body.carrier} tracking number ${body.trackingNumber}.`,
        { errors: [{ path: '/trackingNumber', message: 'already used by another shipment of this store' }] },
      );
    }
    const now = deps.clock.now();
    const { order, shipment } = planShipment(stored.order, body, {
      shipmentId: deps.ids.next('shp_'),
      now,
      earlyEvents: tracking.earlyEvents
        .filter((kept) => earlyEventUsable(kept.receivedAt, now))
        .map((kept) => kept.event),
    });
    const outcome = await deps.shipments.create({
      stored,
      order,
      shipment,
      earlyEventCount: tracking.earlyEventCount,
    });
    if (outcome === 'created') return shipment;
    if (attempt < attempts) await backoff(attempt);
  }
  throw new UpstreamUnavailable('The order kept changing while the shipment was being created; retry.');
}

/** Jittered, so that requests that lost the same race do not collide again in step. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 20));
}
