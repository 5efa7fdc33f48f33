/**
 * Shipments and their tracking (contract section 7), pure: no DynamoDB, no SQS.
 *
 * A shipment lives inside its order (`order.shipments`), so that creating one, or applying a
 * tracking event to it, is one conditional write of one item: the order's version guards
 * `shippedQuantity` (two shipments can never take the same unit) and the fulfilment status.
 *
 * Carriers deliver tracking events at least once and in any order, so, as for payments, nothing
 * here steps from state to state. A shipment keeps the SET of its events (one per `eventId`);
 * its status, the order's `fulfilmentStatus` and the shipping entries of the order's timeline are
 * derived from those sets. Any permutation of the same events, with any duplicates, therefore
 * gives the same shipment and the same order.
 */
import * as z from 'zod/mini';
import { Sku } from './catalog.ts';
import { InvalidState, OverFulfilment } from './errors.ts';
import type { Order, TimelineEntry } from './order.ts';
import { integer, Timestamp, text } from './schemas.ts';
import { type Shipment, type ShipmentStatus, trackingStatuses } from './shipment.ts';
import { canonicalTime, replaceDerivedEntries } from './timeline.ts';

export const Carrier = z
  .string()
  .check(z.regex(/^[a-z0-9_-]{1,32}$/, 'must match ^[a-z0-9_-]{1,32}$ (e.g. "ups", "dhl_express")'));

export const TrackingNumber = z
  .string()
  .check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", "_" or "-"'));

export { type Shipment, type ShipmentStatus, ShipmentView, trackingStatuses } from './shipment.ts';

export const TrackingStatus = z.enum(trackingStatuses);
export type TrackingStatus = z.infer<typeof TrackingStatus>;
export type FulfilmentStatus = Order['fulfilmentStatus'];

export const ShipmentLine = z.strictObject({ sku: Sku, quantity: integer(1, 1_000_000) });
export type ShipmentLine = z.infer<typeof ShipmentLine>;

/** `POST /v1/orders/{id}/shipments`; without `lines`, every unit not yet shipped. */
export const CreateShipmentRequest = z.strictObject({
  carrier: Carrier,
  trackingNumber: TrackingNumber,
  service: z.optional(text(1, 64)),
  lines: z.optional(
    z.array(ShipmentLine).check(
      z.minLength(1),
      z.maxLength(50),
      z.superRefine((lines, context) => {
        const seen = new Set<string>();
        lines.forEach((line, index) => {
          if (seen.has(line.sku)) {
            context.addIssue({ code: 'custom', path: [index, 'sku'], message: 'each sku may appear once' });
          }
          seen.add(line.sku);
        });
      }),
    ),
  ),
});
export type CreateShipmentRequest = z.infer<typeof CreateShipmentRequest>;

/** One tracking update as a carrier or aggregator posts it to `/v1/webhooks/shipping/{storeId}`. */
export const TrackingEvent = z.strictObject({
  eventId: text(1, 128),
  carrier: Carrier,
  trackingNumber: TrackingNumber,
  status: TrackingStatus,
  occurredAt: Timestamp,
  location: z.optional(text(1, 200)),
  description: z.optional(text(1, 500)),
});
export type TrackingEvent = z.infer<typeof TrackingEvent>;

export const ShippingWebhookBody = z.strictObject({
  events: z.array(TrackingEvent).check(z.minLength(1), z.maxLength(100)),
});
export type ShippingWebhookBody = z.infer<typeof ShippingWebhookBody>;

/** How long a tracking event for a tracking number no shipment has yet is kept for one to appear. */
export const earlyEventRetentionDays = 7;

/** Whether an event kept since `receivedAt` may still be applied at `now` (decided by time, not by TTL). */
export function earlyEventUsable(receivedAt: string, now: Date): boolean {
  return now.getTime() - new Date(receivedAt).getTime() <= earlyEventRetentionDays * 86_400_000;
}

/** Units of each line not yet in a shipment. */
export function unshippedQuantities(order: Order): Map<string, number> {
  return new Map(order.lines.map((line) => [line.sku, line.quantity - line.shippedQuantity]));
}

/**
 * The order with a new shipment of `request.lines` (default: everything unshipped), and that
 * shipment. Only a `paid` order ships; a line may not ship more units than remain unshipped.
 * Events that arrived for the tracking number before the shipment existed (`earlyEvents`) are
 * applied at once.
 */
export function planShipment(
  order: Order,
  request: CreateShipmentRequest,
  context: {
    readonly shipmentId: string;
    readonly now: Date;
    readonly earlyEvents?: readonly TrackingEvent[];
  },
): { readonly order: Order; readonly shipment: Shipment } {
  if (order.status !== 'paid') {
    throw new InvalidState(`Only a paid order can ship; this one is ${order.status}.`);
  }
  const unshipped = unshippedQuantities(order);
  const lines = request.lines ?? defaultLines(unshipped);
  const problems = request.lines?.flatMap((line, index) => {
    const available = unshipped.get(line.sku);
    if (available === undefined) return [{ path: `/lines/${index}/sku`, message: 'is not on this order' }];
    return line.quantity > available
      ? [
          {
            path: `/lines/${index}/quantity`,
            message: `only ${available} unit(s) of ${line.sku} remain unshipped`,
          },
        ]
      : [];
  });
  if (problems !== undefined && problems.length > 0) {
    throw new OverFulfilment('The shipment holds more units than remain unshipped.', { errors: problems });
  }
  if (lines.length === 0) {
    throw new OverFulfilment('Every unit of this order is already in a shipment.', {
      errors: [{ path: '/lines', message: 'no unit remains unshipped' }],
    });
  }
  const at = context.now.toISOString();
  const shipped = new Map(lines.map((line) => [line.sku, line.quantity]));
  const shipment = withDerivedStatus({
    id: context.shipmentId,
    orderId: order.id,
    carrier: request.carrier,
    trackingNumber: request.trackingNumber,
    ...(request.service === undefined ? {} : { service: request.service }),
    status: 'label_created',
    lines: lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
    events: mergeEvents([], context.earlyEvents ?? []),
    createdAt: at,
    updatedAt: at,
  });
  const withLines: Order = {
    ...order,
    lines: order.lines.map((line) => ({
      ...line,
      shippedQuantity: line.shippedQuantity + (shipped.get(line.sku) ?? 0),
    })),
  };
  const next = withShipments(withLines, [...shipmentsOf(order), shipment], maxTime(at, shipment.updatedAt));
  return { order: next, shipment };
}

/**
 * The order with `events` applied to its shipment `shipmentId`. Applying an event already there
 * changes nothing (`changed: false`), so a redelivery needs no write.
 */
export function applyTrackingEvents(
  order: Order,
  shipmentId: string,
  events: readonly TrackingEvent[],
): { readonly order: Order; readonly changed: boolean } {
  const shipments = shipmentsOf(order);
  const current = shipments.find((shipment) => shipment.id === shipmentId);
  if (current === undefined) throw new Error(`order ${order.id} has no shipment ${shipmentId}`);
  const merged = mergeEvents(current.events, events);
  if (sameEvents(merged, current.events)) return { order, changed: false };
  const updated = withDerivedStatus({ ...current, events: merged });
  const next = withShipments(
    order,
    shipments.map((shipment) => (shipment.id === shipmentId ? updated : shipment)),
    maxTime(order.updatedAt, updated.updatedAt),
  );
  return { order: next, changed: true };
}

/** The shipment `id` of the order, if it has one (shipments are shown to their store only). */
export function findShipment(order: Order, id: string): Shipment | undefined {
  return shipmentsOf(order).find((shipment) => shipment.id === id);
}

export function shipmentsOf(order: Order): readonly Shipment[] {
  return order.shipments;
}

/**
 * A shipment's status: its latest event's by `occurredAt`; ties go to the more final status
 * (`delivered` > `returned` > `exception` > `out_for_delivery` > `in_transit`), then to the
 * greater `eventId`. No event yet: `label_created`.
 */
export function shipmentStatus(events: readonly TrackingEvent[]): ShipmentStatus {
  const latest = [...events].sort(compareEvents).at(-1);
  return latest?.status ?? 'label_created';
}

/**
 * The order's fulfilment, from its lines and shipments: `exception` while any shipment's status
 * is `exception` or `returned`; `delivered` once every unit is shipped and every shipment
 * delivered; `shipped` once every unit is in a shipment; `partially_shipped` before that.
 */
export function fulfilmentStatus(
  lines: readonly { readonly quantity: number; readonly shippedQuantity: number }[],
  shipments: readonly Pick<Shipment, 'status'>[],
): FulfilmentStatus {
  if (shipments.length === 0) return 'unfulfilled';
  if (shipments.some((shipment) => shipment.status === 'exception' || shipment.status === 'returned')) {
    return 'exception';
  }
  const allShipped = lines.every((line) => line.shippedQuantity >= line.quantity);
  if (!allShipped) return 'partially_shipped';
  return shipments.every((shipment) => shipment.status === 'delivered') ? 'delivered' : 'shipped';
}

// ---------------------------------------------------------------------------------------------
// Derivation

/** The order with `shipments`, its fulfilment status and timeline derived from them. */
function withShipments(order: Order, shipments: readonly Shipment[], updatedAt: string): Order {
  const previous = shippingEntries(order.lines, shipmentsOf(order));
  const next = shippingEntries(order.lines, shipments);
  return {
    ...order,
    shipments: [...shipments],
    fulfilmentStatus: fulfilmentStatus(order.lines, shipments),
    timeline: replaceDerivedEntries(order.timeline, previous, next),
    updatedAt,
  };
}

function withDerivedStatus(shipment: Shipment): Shipment {
  const latestEvent = shipment.events.reduce(
    (latest, event) => maxTime(latest, event.occurredAt),
    shipment.createdAt,
  );
  return { ...shipment, status: shipmentStatus(shipment.events), updatedAt: latestEvent };
}

/**
 * The timeline entries the shipments stand for: each shipment's creation, each of its events,
 * and each change of the order's fulfilment status as the shipments' history unfolds in time.
 */
function shippingEntries(lines: Order['lines'], shipments: readonly Shipment[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const shipment of shipments) {
    entries.push({
      at: shipment.createdAt,
      type: 'shipment_created',
      detail: `${shipment.id}: ${shipment.carrier} ${shipment.trackingNumber}`,
    });
    for (const event of shipment.events) {
      const where = event.location === undefined ? '' : ` (${event.location})`;
      entries.push({
        at: event.occurredAt,
        type: 'shipment_update',
        detail: `${shipment.id}: ${event.status}${where}`,
      });
    }
  }
  return [...entries, ...fulfilmentChanges(lines, shipments)];
}

/**
 * The order's fulfilment status replayed over the shipments' history: at each instant when a
 * shipment was created or an event occurred, the status as of then, and an entry when it changed.
 * Units are counted as shipped from their shipment's creation.
 */
function fulfilmentChanges(lines: Order['lines'], shipments: readonly Shipment[]): TimelineEntry[] {
  const instants = [
    ...new Set(
      shipments.flatMap((shipment) => [
        canonicalTime(shipment.createdAt),
        ...shipment.events.map((event) => canonicalTime(event.occurredAt)),
      ]),
    ),
  ].sort();
  const entries: TimelineEntry[] = [];
  let status: FulfilmentStatus = 'unfulfilled';
  for (const instant of instants) {
    const existing = shipments.filter((shipment) => canonicalTime(shipment.createdAt) <= instant);
    const shippedBySku = new Map<string, number>();
    for (const shipment of existing) {
      for (const line of shipment.lines) {
        shippedBySku.set(line.sku, (shippedBySku.get(line.sku) ?? 0) + line.quantity);
      }
    }
    const asOf = fulfilmentStatus(
      lines.map((line) => ({ quantity: line.quantity, shippedQuantity: shippedBySku.get(line.sku) ?? 0 })),
      existing.map((shipment) => ({
        status: shipmentStatus(shipment.events.filter((event) => canonicalTime(event.occurredAt) <= instant)),
      })),
    );
    if (asOf !== status) entries.push({ at: instant, type: 'fulfilment_status', detail: asOf });
    status = asOf;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Events as a set

const statusRank = new Map<string, number>(trackingStatuses.map((status, index) => [status, index]));

/** Oldest first; at one instant the less final status first, then the smaller `eventId`. */
export function compareEvents(a: TrackingEvent, b: TrackingEvent): number {
  return (
    compareStrings(canonicalTime(a.occurredAt), canonicalTime(b.occurredAt)) ||
    (statusRank.get(a.status) ?? 0) - (statusRank.get(b.status) ?? 0) ||
    compareStrings(a.eventId, b.eventId)
  );
}

/**
 * The union of two event sets, one event per `eventId`. Should a carrier send two different
 * bodies under one id, the later `occurredAt` is kept (then the canonical JSON that sorts last),
 * whichever came first: keeping the later one also keeps every time derived from the set
 * (`updatedAt`) equal to the latest time ever seen, so that it cannot depend on arrival order.
 */
function mergeEvents(current: readonly TrackingEvent[], incoming: readonly TrackingEvent[]): TrackingEvent[] {
  const byId = new Map<string, TrackingEvent>();
  for (const event of [...current, ...incoming]) {
    const kept = byId.get(event.eventId);
    if (kept === undefined || preferredBody(event, kept)) byId.set(event.eventId, event);
  }
  return [...byId.values()].sort(compareEvents);
}

function preferredBody(candidate: TrackingEvent, kept: TrackingEvent): boolean {
  const candidateAt = canonicalTime(candidate.occurredAt);
  const keptAt = canonicalTime(kept.occurredAt);
  if (candidateAt !== keptAt) return candidateAt > keptAt;
  return canonicalJson(candidate) > canonicalJson(kept);
}

function sameEvents(a: readonly TrackingEvent[], b: readonly TrackingEvent[]): boolean {
  return a.length === b.length && a.every((event, index) => canonicalJson(event) === canonicalJson(b[index]));
}

function canonicalJson(event: TrackingEvent | undefined): string {
  if (event === undefined) return '';
  return JSON.stringify(Object.entries(event).sort(([a], [b]) => compareStrings(a, b)));
}

function defaultLines(unshipped: ReadonlyMap<string, number>): ShipmentLine[] {
  return [...unshipped].filter(([, quantity]) => quantity > 0).map(([sku, quantity]) => ({ sku, quantity }));
}

function maxTime(a: string, b: string): string {
  return canonicalTime(a) >= canonicalTime(b) ? a : b;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
