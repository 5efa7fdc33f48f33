/**
 * Where shipping lives on the main table (docs/data-model.md). A shipment itself is part of its
 * order's item (`order.shipments`); these items find it and keep what arrives before it exists.
 *
 * - Shipment reference `STORE#<store>#SHIPMENT#<id>` / `#SHIPMENT` → `{ orderId }`:
 *   `GET /v1/shipments/{id}` in one GetItem, scoped to the store.
 * - Tracking head `STORE#<store>#TRACKING#<carrier>#<number>` / `#TRACKING`
 *   → `{ carrier, trackingNumber, shipmentId?, orderId?, earlyEvents? }`: makes carrier + tracking
 *   number unique per store (created with the shipment, `attribute_not_exists(shipmentId)`), and
 *   routes a tracking event to its order. Before the shipment exists, `earlyEvents` counts the
 *   events kept for it, so the shipment's creation can condition on having seen all of them.
 * - Early event `STORE#<store>#TRACKING#<carrier>#<number>` / `EVENT#<eventId>`
 *   → `{ event, receivedAt, ttl }`: an event for a tracking number no shipment has yet, in the
 *   head's partition so one strongly consistent Query reads them all. Usable for 7 days from
 *   `receivedAt` (decided by comparing times; the TTL only tidies up).
 */

export const shipmentRefKey = (storeId: string, shipmentId: string) => ({
  pk: `STORE#${storeId}#SHIPMENT#${shipmentId}`,
  sk: '#SHIPMENT',
});

export const trackingHeadKey = (storeId: string, carrier: string, trackingNumber: string) => ({
  pk: `STORE#${storeId}#TRACKING#${carrier}#${trackingNumber}`,
  sk: '#TRACKING',
});

export const earlyEventSkPrefix = 'EVENT#';

export const earlyEventKey = (storeId: string, carrier: string, trackingNumber: string, eventId: string) => ({
  pk: trackingHeadKey(storeId, carrier, trackingNumber).pk,
  sk: `${earlyEventSkPrefix}${eventId}`,
});

/** Early events are deleted by TTL a day after they stop being usable. */
export const earlyEventTtlDays = 8;
