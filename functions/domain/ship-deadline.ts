/**
 * The shipping deadline of a paid order (`fulfilment.shipWithinHours`), pure. Apart from
 * shipping.ts because every order write computes it (`order-items.ts`), and importing shipping.ts
 * would construct its tracking-event schemas in functions that never see a tracking event.
 */
import type { Order } from './order.ts';

/** The shortest `fulfilment.shipWithinHours` a store may set (see `settings.ts`). */
export const shortestShipWithinHours = 1;

/** The timeline entry that flags an order not shipped in time; recorded once, never derived. */
export const shipLateEntryType = 'ship_late';

/**
 * When a paid order that still has units to ship becomes late under `shipWithinHours`, counted
 * from its capture; undefined when it cannot become late (not captured, shipped, or flagged).
 */
export function shipDueAt(order: Order, shipWithinHours: number): string | undefined {
  const capturedAt = order.paymentFacts?.capture?.at;
  if (order.status !== 'paid' || capturedAt === undefined) return undefined;
  // By the lines, not `fulfilmentStatus`: a partial shipment in `exception` leaves units to ship.
  if (order.lines.every((line) => line.shippedQuantity >= line.quantity)) return undefined;
  if (order.timeline.some((entry) => entry.type === shipLateEntryType)) return undefined;
  return new Date(new Date(capturedAt).getTime() + shipWithinHours * 3_600_000).toISOString();
}

/** The order flagged as not shipped within `shipWithinHours` of capture. */
export function flagShipLate(order: Order, shipWithinHours: number, now: Date): Order {
  const at = now.toISOString();
  return {
    ...order,
    timeline: [
      ...order.timeline,
      { at, type: shipLateEntryType, detail: `not shipped within ${shipWithinHours} h of capture` },
    ],
    updatedAt: at,
  };
}
