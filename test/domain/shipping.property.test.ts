/**
 * The acceptance property of the shipment state machine (issue 4): any permutation, with any
 * duplicates, of a shipment's tracking events gives the same final shipment and order — and that
 * final state is the contract's: the status of the latest event by `occurredAt`, ties ranked
 * `delivered` > `returned` > `exception` > `out_for_delivery` > `in_transit`, then the greater
 * `eventId`, computed here independently of the implementation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Order } from '../../functions/domain/order.ts';
import {
  applyTrackingEvents,
  findShipment,
  planShipment,
  type TrackingEvent,
  type TrackingStatus,
  trackingStatuses,
} from '../../functions/domain/shipping.ts';
import { paidOrder } from './shipping-fixtures.ts';

const contractRank: Record<TrackingStatus, number> = {
  in_transit: 0,
  out_for_delivery: 1,
  exception: 2,
  returned: 3,
  delivered: 4,
};

/** The contract's rule, written out without the implementation's helpers. */
function expectedStatus(events: readonly TrackingEvent[]): string {
  let latest: TrackingEvent | undefined;
  for (const event of events) {
    if (latest === undefined) {
      latest = event;
      continue;
    }
    const a = Date.parse(event.occurredAt);
    const b = Date.parse(latest.occurredAt);
    if (
      a > b ||
      (a === b && contractRank[event.status] > contractRank[latest.status]) ||
      (a === b && event.status === latest.status && event.eventId > latest.eventId)
    ) {
      latest = event;
    }
  }
  return latest?.status ?? 'label_created';
}

const start = new Date('2026-11-28T12:00:00.000Z');

/** Two shipments of one order: `shp_a` holds two units of A, `shp_b` the unit of B. */
function shippedOrder(): Order {
  const order = paidOrder();
  const first = planShipment(
    order,
    { carrier: 'ups', trackingNumber: '1Z1', lines: [{ sku: 'A', quantity: 2 }] },
    { shipmentId: 'shp_a', now: start },
  ).order;
  return planShipment(
    first,
    { carrier: 'dhl', trackingNumber: 'JD2', lines: [{ sku: 'B', quantity: 1 }] },
    { shipmentId: 'shp_b', now: new Date(start.getTime() + 60_000) },
  ).order;
}

/** Few instants and few ids, so that ties in `occurredAt` and reused event ids are common. */
const eventArbitrary = (shipment: 'a' | 'b') =>
  fc
    .record({
      eventId: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6').map((id) => `${shipment}-${id}`),
      carrier: fc.constant(shipment === 'a' ? 'ups' : 'dhl'),
      trackingNumber: fc.constant(shipment === 'a' ? '1Z1' : 'JD2'),
      status: fc.constantFrom(...trackingStatuses),
      occurredAt: fc
        .integer({ min: 0, max: 4 })
        .map((hours) => new Date(start.getTime() + hours * 3_600_000).toISOString()),
      location: fc.option(fc.constantFrom('Memphis, TN', 'Leipzig'), { nil: undefined }),
    })
    .map(
      ({ location, ...event }): TrackingEvent => (location === undefined ? event : { ...event, location }),
    );

interface Delivery {
  readonly shipmentId: 'shp_a' | 'shp_b';
  readonly event: TrackingEvent;
}

const deliveriesArbitrary: fc.Arbitrary<Delivery[]> = fc.array(
  fc.oneof(
    eventArbitrary('a').map((event): Delivery => ({ shipmentId: 'shp_a', event })),
    eventArbitrary('b').map((event): Delivery => ({ shipmentId: 'shp_b', event })),
  ),
  { minLength: 1, maxLength: 12 },
);

/** One carrier event per id: the deliveries of a well-behaved carrier (bodies never change). */
function oneBodyPerId(deliveries: readonly Delivery[]): Delivery[] {
  const byId = new Map<string, Delivery>();
  for (const delivery of deliveries)
    if (!byId.has(delivery.event.eventId)) byId.set(delivery.event.eventId, delivery);
  return [...byId.values()];
}

function deliver(order: Order, deliveries: readonly Delivery[]): Order {
  return deliveries.reduce(
    (current, { shipmentId, event }) => applyTrackingEvents(current, shipmentId, [event]).order,
    order,
  );
}

describe('the shipment state machine', () => {
  it('ends in the same shipment and order whatever the order of deliveries, with any duplicates', () => {
    fc.assert(
      fc.property(
        deliveriesArbitrary.chain((raw) => {
          const events = oneBodyPerId(raw);
          return fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            fc.array(fc.constantFrom(...events), { maxLength: 10 }),
          );
        }),
        ([events, permutation, duplicates]) => {
          const base = shippedOrder();
          const inOrder = deliver(base, events);
          const shuffled = deliver(base, [...permutation, ...duplicates, ...permutation.slice(0, 3)]);
          expect(shuffled).toEqual(inOrder);

          for (const shipmentId of ['shp_a', 'shp_b'] as const) {
            const applied = events
              .filter((delivery) => delivery.shipmentId === shipmentId)
              .map((d) => d.event);
            const shipment = findShipment(inOrder, shipmentId);
            expect(shipment?.status).toBe(expectedStatus(applied));
            expect(shipment?.events).toHaveLength(applied.length);
          }
          const statuses = ['shp_a', 'shp_b'].map((id) => findShipment(inOrder, id)?.status);
          const expectedFulfilment = statuses.some(
            (status) => status === 'exception' || status === 'returned',
          )
            ? 'exception'
            : statuses.every((status) => status === 'delivered')
              ? 'delivered'
              : 'shipped';
          expect(inOrder.fulfilmentStatus).toBe(expectedFulfilment);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('converges even when a carrier sends two different bodies under one event id', () => {
    fc.assert(
      fc.property(
        deliveriesArbitrary.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          ),
        ),
        ([events, permutation]) => {
          const base = shippedOrder();
          expect(deliver(base, permutation)).toEqual(deliver(base, events));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ends in the same order whether an event arrived before its shipment existed or after', () => {
    fc.assert(
      fc.property(
        fc.array(eventArbitrary('a'), { minLength: 1, maxLength: 8 }).chain((raw) => {
          const events = oneBodyPerId(raw.map((event): Delivery => ({ shipmentId: 'shp_a', event }))).map(
            (delivery) => delivery.event,
          );
          return fc.tuple(fc.constant(events), fc.subarray(events));
        }),
        ([events, early]) => {
          const order = paidOrder();
          const request = { carrier: 'ups', trackingNumber: '1Z1', lines: [{ sku: 'A', quantity: 2 }] };
          const context = { shipmentId: 'shp_a', now: start };
          const allLate = applyTrackingEvents(
            planShipment(order, request, context).order,
            'shp_a',
            events,
          ).order;
          const someEarly = planShipment(order, request, { ...context, earlyEvents: early }).order;
          const late = events.filter((event) => !early.includes(event));
          expect(
            late.reduce((current, event) => applyTrackingEvents(current, 'shp_a', [event]).order, someEarly),
          ).toEqual(allLate);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('records a redelivered event as no change, so the consumer writes nothing', () => {
    fc.assert(
      fc.property(eventArbitrary('a'), (event) => {
        const once = applyTrackingEvents(shippedOrder(), 'shp_a', [event]);
        expect(once.changed).toBe(true);
        const again = applyTrackingEvents(once.order, 'shp_a', [event]);
        expect(again.changed).toBe(false);
        expect(again.order).toBe(once.order);
      }),
    );
  });
});
