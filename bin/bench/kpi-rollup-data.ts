/**
 * The data of the `kpi-rollup` bench section: a store's busy days of orders moved through the real
 * state machines (checkout, payments, fraud, shipping), so that their facts are the ones the order
 * writers store, and filler facts on other days; written with parallel BatchWriteItem calls.
 *
 * Deterministic (a seeded generator), so two runs measure the same day.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { orderItem } from '../../functions/adapters/order-items.ts';
import { type Fact, factsBetween, utcHoursOfLocalDay } from '../../functions/domain/kpis.ts';
import { cancelOrder, newOrder, type Order } from '../../functions/domain/order.ts';
import { applyPaymentEvent, type PaymentEvent } from '../../functions/domain/payments.ts';
import { applyTrackingEvents, planShipment } from '../../functions/domain/shipping.ts';

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;

/** A day's orders as stored, and their facts split by whether they fall on that local day. */
export interface GeneratedDay {
  readonly orderItems: Record<string, unknown>[];
  readonly factsOfDay: Fact[];
  /** Facts of the same orders that happened on later days (deliveries, late refunds). */
  readonly factsOfOtherDays: Fact[];
}

/** Mulberry32: small, fast and good enough to pick a funnel branch. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The instants that start and end the local day (the UTC hours that hold it, whole hours here). */
export function localDayWindow(
  date: string,
  timeZone: string,
): { readonly start: number; readonly end: number } {
  const hours = utcHoursOfLocalDay(date, timeZone);
  const first = hours[0];
  const last = hours[hours.length - 1];
  if (first === undefined || last === undefined) throw new Error(`no hours for ${date} in ${timeZone}`);
  return { start: Date.parse(`${first}:00:00.000Z`), end: Date.parse(`${last}:00:00.000Z`) + hourMs };
}

/**
 * `count` checkouts created over the local day `date` (busier in the afternoon), and what follows
 * each: declines, abandonment, screening (rejects, reviews), capture, refunds, disputes, shipping,
 * delivery and exceptions, some of it on later days.
 */
export function generateDay(input: {
  readonly storeId: string;
  readonly date: string;
  readonly timeZone: string;
  readonly orders: number;
  readonly seed: number;
}): GeneratedDay {
  const random = seededRandom(input.seed);
  const window = localDayWindow(input.date, input.timeZone);
  const orderItems: Record<string, unknown>[] = [];
  const factsOfDay: Fact[] = [];
  const factsOfOtherDays: Fact[] = [];
  for (let index = 0; index < input.orders; index++) {
    // Squared towards the end of the day: the afternoon is busier than the night.
    const createdAt = window.start + Math.floor(Math.sqrt(random()) * (window.end - window.start - hourMs));
    const { order, facts } = playOrder(input.storeId, `ord_${input.date}_${index}`, createdAt, random);
    orderItems.push(orderItem(input.storeId, order, facts.length));
    for (const fact of facts) {
      const at = Date.parse(fact.at);
      (at >= window.start && at < window.end ? factsOfDay : factsOfOtherDays).push(fact);
    }
  }
  return { orderItems, factsOfDay, factsOfOtherDays };
}

/**
 * `count` facts of orders that do not exist, spread over the days around `date` (up to `spanDays`
 * either side) but never on it: what a store's other days put in the table.
 */
export function fillerFacts(input: {
  readonly date: string;
  readonly timeZone: string;
  readonly count: number;
  readonly spanDays: number;
  readonly seed: number;
}): Fact[] {
  const random = seededRandom(input.seed);
  const window = localDayWindow(input.date, input.timeZone);
  const span = input.spanDays * 24 * hourMs;
  const facts: Fact[] = [];
  while (facts.length < input.count) {
    const at = window.start - span + Math.floor(random() * (2 * span + (window.end - window.start)));
    if (at >= window.start && at < window.end) continue;
    facts.push({
      type: 'checkout_created',
      at: new Date(at).toISOString(),
      orderId: `ord_filler_${input.seed}_${facts.length}`,
    });
  }
  return facts;
}

/** Puts `items` with BatchWriteItem, 25 a call, `concurrency` calls in flight. */
export async function writeItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  concurrency = 16,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const batch = items.slice(next, next + 25);
      next += 25;
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`BatchWriteItem left ${pending.length} items unwritten`);
        const { UnprocessedItems } = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = (UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const segments = ['b2c', 'b2c', 'b2c', 'b2b'] as const;
const territories = ['north', 'south', 'east', 'west', undefined] as const;
const countries = ['US', 'US', 'US', 'CA', 'GB', 'FR', 'DE'] as const;

/** One order's life, through the domain's state machines; its facts in the order they were written. */
function playOrder(
  storeId: string,
  id: string,
  createdAtMs: number,
  random: () => number,
): { order: Order; facts: Fact[] } {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const at = (ms: number) => new Date(ms).toISOString();
  const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, line) => {
    const quantity = 1 + Math.floor(random() * 3);
    const unitAmount = 500 + Math.floor(random() * 9_500);
    return { sku: `SKU${line}`, name: `Item ${line}`, quantity, unitAmount, amount: quantity * unitAmount };
  });
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const discount = random() < 0.2 ? Math.floor(subtotal / 10) : 0;
  const shipping = 599;
  const tax = Math.floor((subtotal - discount) * 0.08);
  const inbound = random() < 0.6;
  const territory = pick(territories);
  const rep = inbound ? undefined : `rep_${1 + Math.floor(random() * 12)}`;
  let order = newOrder({
    id,
    request: {
      currency: random() < 0.85 ? 'usd' : 'eur',
      customer: { email: `${id}@example.com`, type: pick(segments), marketingConsent: false },
      shippingAddress: {
        line1: '1 Main St',
        city: 'Springfield',
        postalCode: '12345',
        country: pick(countries),
      },
      attribution: {
        channel: inbound ? 'inbound' : 'outbound',
        ...(territory === undefined ? {} : { territory }),
        ...(rep === undefined ? {} : { salesRepId: rep }),
      },
    },
    price: { lines, subtotal, discount, shipping, tax, total: subtotal - discount + shipping + tax },
    paymentIntentId: `pi_${id}`,
    reservationMinutes: 30,
    now: new Date(createdAtMs),
  });
  const facts = factsBetween(undefined, order);
  const become = (next: Order) => {
    facts.push(...factsBetween(order, next));
    order = next;
  };
  const pay = (event: PaymentEvent) => become(applyPaymentEvent(order, event, { storeId }).order);

  let now = createdAtMs + minuteMs;
  if (random() < 0.08) {
    pay({ kind: 'payment_failed', at: at(now), attemptId: `ch_fail_${id}`, failureCode: 'card_declined' });
    now += minuteMs;
  }
  if (random() < 0.1) {
    // The reservation lapsed: the sweeper's cancellation.
    become(cancelOrder(order, 'payment_expired', new Date(now + 30 * minuteMs)));
    return { order, facts };
  }
  pay({
    kind: 'authorized',
    at: at(now),
    intent: {
      id: `pi_${id}`,
      amount: order.amounts.total,
      currency: order.currency,
      metadata: { orderId: id, storeId },
    },
    chargeId: `ch_${id}`,
  });
  now += minuteMs;
  const screening = random();
  const decide = (decision: 'approve' | 'review' | 'reject', decidedBy: 'rules' | 'reviewer') =>
    pay({
      kind: 'fraud_decided',
      decision: {
        decision,
        score: decision === 'approve' ? 5 : 70,
        reasons: [],
        decidedAt: at(now),
        decidedBy,
      },
    });
  if (screening < 0.04) {
    decide('reject', 'rules');
    return { order, facts };
  }
  if (screening < 0.1) {
    decide('review', 'rules');
    now += 40 * minuteMs;
    decide('approve', 'reviewer');
  } else {
    decide('approve', 'rules');
  }
  now += minuteMs;
  pay({ kind: 'captured', at: at(now), amount: order.amounts.total });
  const capturedAt = now;
  if (random() < 0.03) {
    const created = at(capturedAt + (2 + random() * 30) * hourMs);
    pay({
      kind: 'refunds_observed',
      at: created,
      refunds: [
        { id: `re_${id}`, amount: Math.floor(order.amounts.total / 2), status: 'succeeded', created },
      ],
    });
  }
  if (random() < 0.005) {
    const created = at(capturedAt + 20 * hourMs);
    pay({
      kind: 'dispute_observed',
      at: created,
      dispute: { id: `dp_${id}`, amount: order.amounts.total, status: 'needs_response', created },
    });
  }
  if (random() < 0.75) {
    const shippedAt = capturedAt + (0.5 + random() * 8) * hourMs;
    const shipmentId = `shp_${id}`;
    become(
      planShipment(
        order,
        { carrier: 'ups', trackingNumber: `T${id}` },
        { shipmentId, now: new Date(shippedAt) },
      ).order,
    );
    const track = (status: 'exception' | 'delivered', occurredAt: number, eventId: string) =>
      become(
        applyTrackingEvents(order, shipmentId, [
          { eventId, carrier: 'ups', trackingNumber: `T${id}`, status, occurredAt: at(occurredAt) },
        ]).order,
      );
    if (random() < 0.02) track('exception', shippedAt + 3 * hourMs, `ev_${id}_x`);
    if (random() < 0.7) track('delivered', shippedAt + (2 + random() * 40) * hourMs, `ev_${id}_d`);
  }
  return { order, facts };
}
