import type Stripe from 'stripe';
import { newId } from './ids.ts';
import { ObjectCollection } from './store.ts';

export const SIMULATED_EVENT_TYPES = [
  'payment_intent.created',
  'payment_intent.amount_capturable_updated',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.succeeded',
  'charge.failed',
  'charge.captured',
  'charge.refunded',
  'refund.created',
  'charge.dispute.created',
  'charge.dispute.closed',
  'radar.early_fraud_warning.created',
] as const satisfies readonly Stripe.Event.Type[];

export type SimulatedEventType = (typeof SIMULATED_EVENT_TYPES)[number];
export type EventOf<T extends SimulatedEventType> = Extract<Stripe.Event, { type: T }>;
export type EventObject<T extends SimulatedEventType> = EventOf<T>['data']['object'];

/** The API request that caused an event; `null` ids for Stripe's own (automatic) events. */
export type EventRequest = Stripe.Event.Request;
export const AUTOMATIC_REQUEST: EventRequest = { id: null, idempotency_key: null };

export interface EventLogOptions {
  readonly apiVersion: string;
  readonly clock: () => number;
  /** Webhook endpoints an event is sent to (Stripe's `pending_webhooks` starts there). */
  readonly webhookEndpoints: number;
  readonly onEvent: (event: Stripe.Event) => void;
}

/** Every event the account emitted, as `GET /v1/events` serves them. */
export class EventLog {
  readonly events = new ObjectCollection<Stripe.Event>('event');

  constructor(private readonly options: EventLogOptions) {}

  emit<T extends SimulatedEventType>(type: T, object: EventObject<T>, request: EventRequest): Stripe.Event {
    const event = {
      id: newId('evt'),
      object: 'event',
      api_version: this.options.apiVersion,
      created: this.options.clock(),
      data: { object },
      livemode: false,
      pending_webhooks: this.options.webhookEndpoints,
      request,
      type,
      // The compiler cannot narrow the union member from a generic `T`; the signature above already
      // ties `object` to `type`, so this assertion adds no unchecked freedom.
    } as EventOf<T>;
    this.events.save(event);
    this.options.onEvent(event);
    return event;
  }

  markDelivered(eventId: string): void {
    const event = this.events.find(eventId);
    if (event !== undefined) this.events.save({ ...event, pending_webhooks: 0 });
  }
}

/** Stripe's `type` filter: an exact name or a `*` wildcard such as `charge.*`. */
export function matchesEventType(type: string, pattern: string): boolean {
  if (!pattern.includes('*')) return type === pattern;
  const expression = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return expression.test(type);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
