/**
 * One message of the `shipping-events` queue: one verified tracking event, with the store it was
 * posted for and when the receiver accepted it (`receivedAt` starts an early event's 7 days).
 */
import * as z from 'zod/mini';
import { Timestamp } from '../domain/schemas.ts';
import { TrackingEvent } from '../domain/shipping.ts';

export const shippingEventsQueueName = 'shipping-events';

export const ShippingEventMessage = z.strictObject({
  storeId: z.string().check(z.minLength(1)),
  event: TrackingEvent,
  receivedAt: Timestamp,
});
export type ShippingEventMessage = z.infer<typeof ShippingEventMessage>;
