/** The shipment rules of contract section 7, one by one, on the pure domain. */
import { describe, expect, it } from 'vitest';
import { InvalidState, OverFulfilment, ValidationFailed } from '../../functions/domain/errors.ts';
import { flagShipLate, shipDueAt } from '../../functions/domain/ship-deadline.ts';
import {
  applyTrackingEvents,
  CreateShipmentRequest,
  earlyEventUsable,
  fulfilmentStatus,
  planShipment,
  ShippingWebhookBody,
  shipmentStatus,
  type TrackingEvent,
} from '../../functions/domain/shipping.ts';
import { parseWith } from '../../functions/http/validation.ts';
import { capturedAt, paidOrder } from './shipping-fixtures.ts';

const now = new Date('2026-11-28T12:00:00.000Z');
const ups = { carrier: 'ups', trackingNumber: '1Z999' };

function event(eventId: string, status: TrackingEvent['status'], occurredAt: string): TrackingEvent {
  return { eventId, ...ups, status, occurredAt };
}

function problemsOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof OverFulfilment || error instanceof ValidationFailed) return error.errors;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('planShipment', () => {
  it('ships every unshipped unit by default and marks the order shipped', () => {
    const { order, shipment } = planShipment(paidOrder(), ups, { shipmentId: 'shp_1', now });
    expect(shipment).toMatchObject({
      id: 'shp_1',
      orderId: 'ord_ship',
      status: 'label_created',
      lines: [
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 1 },
      ],
      events: [],
      createdAt: now.toISOString(),
    });
    expect(order.lines.map((line) => line.shippedQuantity)).toEqual([2, 1]);
    expect(order.fulfilmentStatus).toBe('shipped');
    expect(order.shipments).toEqual([shipment]);
    // Entries at one instant are ordered by type, as every derived timeline entry is.
    expect(order.timeline.map((entry) => entry.type)).toEqual([
      'created',
      'fulfilment_status',
      'shipment_created',
    ]);
  });

  it('ships part of the order, then only what remains', () => {
    const first = planShipment(
      paidOrder(),
      { ...ups, lines: [{ sku: 'A', quantity: 1 }] },
      { shipmentId: 'shp_1', now },
    );
    expect(first.order.fulfilmentStatus).toBe('partially_shipped');
    const second = planShipment(
      first.order,
      { carrier: 'ups', trackingNumber: '1Z1000' },
      { shipmentId: 'shp_2', now },
    );
    expect(second.shipment.lines).toEqual([
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 1 },
    ]);
    expect(second.order.fulfilmentStatus).toBe('shipped');
  });

  it('refuses an order that is not paid', () => {
    const pending = { ...paidOrder(), status: 'pending_payment' as const };
    expect(() => planShipment(pending, ups, { shipmentId: 'shp_1', now })).toThrow(InvalidState);
    const cancelled = { ...paidOrder(), status: 'cancelled' as const };
    expect(() => planShipment(cancelled, ups, { shipmentId: 'shp_1', now })).toThrow(InvalidState);
  });

  it('names each line that ships more than remains, or a sku the order does not have', () => {
    const order = paidOrder();
    expect(
      problemsOf(() =>
        planShipment(
          order,
          {
            ...ups,
            lines: [
              { sku: 'A', quantity: 3 },
              { sku: 'Z', quantity: 1 },
              { sku: 'B', quantity: 1 },
            ],
          },
          { shipmentId: 'shp_1', now },
        ),
      ),
    ).toEqual([
      { path: '/lines/0/quantity', message: 'only 2 unit(s) of A remain unshipped' },
      { path: '/lines/1/sku', message: 'is not on this order' },
    ]);
  });

  it('refuses a default shipment when every unit has shipped', () => {
    const shipped = planShipment(paidOrder(), ups, { shipmentId: 'shp_1', now }).order;
    expect(() =>
      planShipment(shipped, { carrier: 'dhl', trackingNumber: 'X1' }, { shipmentId: 'shp_2', now }),
    ).toThrow(OverFulfilment);
  });

  it('applies the events that arrived before the shipment', () => {
    const early = [event('e1', 'in_transit', '2026-11-28T11:30:00.000Z')];
    const { shipment, order } = planShipment(paidOrder(), ups, {
      shipmentId: 'shp_1',
      now,
      earlyEvents: early,
    });
    expect(shipment.status).toBe('in_transit');
    expect(shipment.events).toEqual(early);
    expect(order.timeline.some((entry) => entry.type === 'shipment_update')).toBe(true);
  });
});

describe('tracking events', () => {
  const shipped = () => planShipment(paidOrder(), ups, { shipmentId: 'shp_1', now }).order;

  it('takes the status of the latest event, whatever arrives last', () => {
    const order = applyTrackingEvents(shipped(), 'shp_1', [
      event('e2', 'delivered', '2026-11-29T09:00:00.000Z'),
      event('e1', 'in_transit', '2026-11-28T13:00:00.000Z'),
    ]).order;
    expect(order.shipments[0]?.status).toBe('delivered');
    expect(order.shipments[0]?.events.map((item) => item.eventId)).toEqual(['e1', 'e2']);
    expect(order.fulfilmentStatus).toBe('delivered');
    expect(order.shipments[0]?.updatedAt).toBe('2026-11-29T09:00:00.000Z');
  });

  it('breaks ties at one instant by the contract ranking, then by the greater eventId', () => {
    const at = '2026-11-28T13:00:00.000Z';
    expect(shipmentStatus([event('a', 'delivered', at), event('b', 'returned', at)])).toBe('delivered');
    expect(shipmentStatus([event('a', 'exception', at), event('b', 'returned', at)])).toBe('returned');
    expect(shipmentStatus([event('a', 'out_for_delivery', at), event('b', 'exception', at)])).toBe(
      'exception',
    );
    expect(shipmentStatus([event('a', 'in_transit', at), event('b', 'out_for_delivery', at)])).toBe(
      'out_for_delivery',
    );
    expect(shipmentStatus([])).toBe('label_created');
  });

  it('holds the order in exception while a shipment is in exception or returned', () => {
    const exception = applyTrackingEvents(shipped(), 'shp_1', [
      event('e1', 'exception', '2026-11-28T13:00:00.000Z'),
    ]);
    expect(exception.order.fulfilmentStatus).toBe('exception');
    const resolved = applyTrackingEvents(exception.order, 'shp_1', [
      event('e2', 'delivered', '2026-11-28T18:00:00.000Z'),
    ]);
    expect(resolved.order.fulfilmentStatus).toBe('delivered');
    expect(
      resolved.order.timeline.filter((entry) => entry.type === 'fulfilment_status').map((e) => e.detail),
    ).toEqual(['shipped', 'exception', 'delivered']);
  });

  it('keeps early events for seven days, decided by time', () => {
    const received = '2026-11-20T12:00:00.000Z';
    expect(earlyEventUsable(received, new Date('2026-11-27T12:00:00.000Z'))).toBe(true);
    expect(earlyEventUsable(received, new Date('2026-11-27T12:00:00.001Z'))).toBe(false);
  });
});

describe('fulfilmentStatus', () => {
  const lines = (shipped: number) => [{ quantity: 2, shippedQuantity: shipped }];
  it.each([
    [0, [], 'unfulfilled'],
    [1, ['label_created'], 'partially_shipped'],
    [1, ['delivered'], 'partially_shipped'],
    [2, ['in_transit', 'delivered'], 'shipped'],
    [2, ['delivered', 'delivered'], 'delivered'],
    [2, ['delivered', 'returned'], 'exception'],
    [1, ['exception'], 'exception'],
  ] as const)('%i of 2 units shipped, shipments %j → %s', (shipped, statuses, expected) => {
    expect(
      fulfilmentStatus(
        lines(shipped),
        statuses.map((status) => ({ status })),
      ),
    ).toBe(expected);
  });
});

describe('late shipping', () => {
  it('is due the store hours after capture while units remain unshipped, and flagged once', () => {
    const order = paidOrder();
    expect(shipDueAt(order, 48)).toBe(new Date(Date.parse(capturedAt) + 48 * 3_600_000).toISOString());
    const flagged = flagShipLate(order, 48, new Date('2026-11-30T11:00:00.000Z'));
    expect(flagged.timeline.at(-1)).toEqual({
      at: '2026-11-30T11:00:00.000Z',
      type: 'ship_late',
      detail: 'not shipped within 48 h of capture',
    });
    expect(shipDueAt(flagged, 48)).toBeUndefined();
  });

  it('is never due for a shipped order, nor for one not captured', () => {
    const shipped = planShipment(paidOrder(), ups, { shipmentId: 'shp_1', now }).order;
    expect(shipDueAt(shipped, 48)).toBeUndefined();
    expect(shipDueAt({ ...paidOrder(), status: 'processing' }, 48)).toBeUndefined();
  });
});

describe('request schemas', () => {
  it('names a repeated sku, a bad carrier and an unknown property', () => {
    expect(
      problemsOf(() =>
        parseWith(
          CreateShipmentRequest,
          {
            carrier: 'UPS!',
            trackingNumber: '1Z',
            price: 1,
            lines: [
              { sku: 'A', quantity: 1 },
              { sku: 'A', quantity: 1 },
            ],
          },
          'shipment',
        ),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/carrier' }),
        expect.objectContaining({ path: '/lines/1/sku' }),
        { path: '/price', message: 'unknown property' },
      ]),
    );
  });

  it('takes 1 to 100 events with a known status and an RFC 3339 time', () => {
    const good = { eventId: 'e1', ...ups, status: 'in_transit', occurredAt: '2026-11-28T10:00:00Z' };
    expect(ShippingWebhookBody.safeParse({ events: [good] }).success).toBe(true);
    expect(ShippingWebhookBody.safeParse({ events: [] }).success).toBe(false);
    expect(ShippingWebhookBody.safeParse({ events: Array.from({ length: 101 }, () => good) }).success).toBe(
      false,
    );
    expect(
      problemsOf(() =>
        parseWith(ShippingWebhookBody, { events: [good, { ...good, status: 'lost' }] }, 'body'),
      ),
    ).toEqual([expect.objectContaining({ path: '/events/1/status' })]);
  });
});
