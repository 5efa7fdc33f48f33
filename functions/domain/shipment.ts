/**
 * A shipment as its order stores it and the API shows it (contract section 7). Kept apart from
 * shipping.ts, whose request and tracking-event schemas only the shipping functions need: every
 * function that reads an order imports this, and constructing zod schemas at import is most of what
 * a handler's cold start costs beyond its AWS client.
 */
import * as z from 'zod/mini';
import { lazySchema, Timestamp } from './schemas.ts';

/** What a carrier may report, from least to most final: ties at one instant rank by this order. */
export const trackingStatuses = [
  'in_transit',
  'out_for_delivery',
  'exception',
  'returned',
  'delivered',
] as const;
export type TrackingStatus = (typeof trackingStatuses)[number];

export type ShipmentStatus = 'label_created' | TrackingStatus;

/** The shipment's response shape, built on first use (only /openapi.json and tests need it). */
export const ShipmentView = lazySchema(() =>
  z.object({
    id: z.string(),
    orderId: z.string(),
    carrier: z.string(),
    trackingNumber: z.string(),
    service: z.optional(z.string()),
    status: z.enum(['label_created', ...trackingStatuses]),
    lines: z.array(z.object({ sku: z.string(), quantity: z.int() })),
    events: z.array(
      z.object({
        eventId: z.string(),
        carrier: z.string(),
        trackingNumber: z.string(),
        status: z.enum(trackingStatuses),
        occurredAt: Timestamp,
        location: z.optional(z.string()),
        description: z.optional(z.string()),
      }),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
);

/** A shipment as stored in its order and shown by the API; `events` oldest first (`compareEvents`). */
export type Shipment = z.infer<ReturnType<typeof ShipmentView>>;
