/**
 * `npm run demo`: against a running `npm start`, creates a store and plays one realistic day of it
 * — hundreds of checkouts across segments, channels, territories and sales reps; declines and
 * retries, abandoned carts, fraud reviews and rejects, refunds, a dispute, shipments and
 * deliveries — by moving the local stack's clock through the day (`/_local/clock`, local only).
 * Then it rolls the day up and prints its KPI table and funnel.
 *
 * The clock only ever moves forward (queues and reservations keep working), so the day played is
 * the store-local day after the stack's "now"; a second run plays the day after that.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const apiUrl = process.env.SALESOPS_API_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`;
const stripeUrl = `http://127.0.0.1:${process.env.STRIPE_SIMULATOR_PORT ?? '12111'}`;
const adminToken = process.env.SALESOPS_ADMIN_TOKEN ?? 'admin_local';
const timeZone = 'America/New_York';
const checkoutsPerSlot = 9;
const concurrency = 6;

// ---------------------------------------------------------------------------------------------
// A small client

interface Reply<T> {
  readonly status: number;
  readonly body: T;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${apiUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

async function expectStatus<T>(reply: Promise<Reply<T>>, status: number, what: string): Promise<T> {
  const { status: actual, body } = await reply;
  if (actual !== status)
    throw new Error(`${what}: expected ${status}, got ${actual} ${JSON.stringify(body)}`);
  return body;
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await work(item);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The clock of the local stack

async function stackNow(): Promise<Date> {
  const state = await expectStatus(call<{ now: string }>('GET', '/_local/clock'), 200, 'read the clock');
  return new Date(state.now);
}

/** Moves the stack's clock, then lets its sweeper expire what expired meanwhile (abandoned carts). */
async function setClock(at: Date): Promise<void> {
  await expectStatus(
    call('POST', '/_local/clock', { body: { now: at.toISOString() } }),
    200,
    'set the clock',
  );
  await expectStatus(call('POST', '/_local/schedules/sweep'), 200, 'run the sweeper');
}

/** The UTC instant of `hh:mm` on a local date of `timeZone`. */
function localInstant(date: string, hours: number, minutes: number): Date {
  const guess = Date.parse(`${date}T${pad(hours)}:${pad(minutes)}:00Z`);
  // The zone's offset at that moment, read back from Intl, applied twice to settle DST edges.
  let at = guess;
  for (let round = 0; round < 2; round++) at = guess - offsetMs(at);
  return new Date(at);
}

function offsetMs(at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

function localDateOf(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

function localTimeOf(at: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(at);
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

const pad = (value: number) => String(value).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// The store and its shoppers

interface DemoStore {
  readonly id: string;
  readonly apiKey: string;
  readonly shippingWebhookSecret: string;
}

const products = [
  { sku: 'espresso-beans', name: 'Espresso beans 1 kg', unitAmount: 2400 },
  { sku: 'grinder', name: 'Burr grinder', unitAmount: 18900 },
  { sku: 'kettle', name: 'Gooseneck kettle', unitAmount: 7900 },
  { sku: 'filters', name: 'Paper filters x100', unitAmount: 650 },
  { sku: 'machine', name: 'Espresso machine', unitAmount: 64900 },
] as const;

const reps = [
  { salesRepId: 'rep_ana', territory: 'northeast' },
  { salesRepId: 'rep_ben', territory: 'west' },
  { salesRepId: 'rep_chloe', territory: 'central' },
] as const;

const countries = ['US', 'US', 'US', 'US', 'US', 'US', 'CA', 'CA', 'GB', 'DE'] as const;

/** How a shopper's payment goes; the weights make a plausible day. */
type Plan =
  | 'pay'
  | 'decline_then_pay'
  | 'decline_and_leave'
  | 'abandon'
  | 'review_approve'
  | 'review_reject'
  | 'reject'
  | 'dispute';

const plans: readonly (readonly [Plan, number])[] = [
  ['pay', 66],
  ['decline_then_pay', 8],
  ['decline_and_leave', 4],
  ['abandon', 10],
  ['review_approve', 5],
  ['review_reject', 2],
  ['reject', 2],
  ['dispute', 0],
];

/** A deterministic generator, so that every run plays the same day. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
const next = random(20261129);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

function pickPlan(): Plan {
  const total = plans.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = next() * total;
  for (const [plan, weight] of plans) {
    roll -= weight;
    if (roll < 0) return plan;
  }
  return 'pay';
}

function checkoutBody(index: number) {
  const b2b = next() < 0.3;
  const outbound = next() < 0.3;
  const rep = pick(reps);
  const country = pick(countries);
  const lines = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(products).sku);
  const items = [...new Set(lines)].map((sku) => ({ sku, quantity: 1 + Math.floor(next() * 2) }));
  return {
    currency: 'usd',
    items,
    customer: {
      email: `shopper${index}@example.com`,
      name: `Shopper ${index}`,
      type: b2b ? 'b2b' : 'b2c',
      ...(b2b ? { companyName: `Company ${index}` } : {}),
      marketingConsent: next() < 0.6,
    },
    shippingAddress: {
      line1: `${index} Main St`,
      city: 'Springfield',
      postalCode: '12345',
      country,
      ...(country === 'US' ? { state: 'NY' } : {}),
    },
    attribution: outbound
      ? { channel: 'outbound', source: 'sales', ...rep }
      : { channel: 'inbound', source: pick(['google', 'newsletter', 'instagram', 'direct']) },
    clientIp: `198.51.100.${1 + (index % 250)}`,
  };
}

interface Placed {
  readonly orderId: string;
  readonly paymentIntentId: string;
  readonly clientSecret: string;
  readonly plan: Plan;
  readonly total: number;
}

async function confirm(placed: Placed, paymentMethod: string): Promise<number> {
  const response = await fetch(`${stripeUrl}/v1/payment_intents/${placed.paymentIntentId}/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_secret: placed.clientSecret, payment_method: paymentMethod }),
  });
  await response.text();
  return response.status;
}

async function shop(store: DemoStore, index: number, plan: Plan): Promise<Placed> {
  const order = await expectStatus(
    call<{
      id: string;
      amounts: { total: number };
      payment: { paymentIntentId: string; clientSecret: string };
    }>('POST', '/v1/checkouts', {
      token: store.apiKey,
      body: checkoutBody(index),
      headers: { 'idempotency-key': randomUUID() },
    }),
    201,
    'checkout',
  );
  const placed: Placed = {
    orderId: order.id,
    paymentIntentId: order.payment.paymentIntentId,
    clientSecret: order.payment.clientSecret,
    plan,
    total: order.amounts.total,
  };
  const method: Partial<Record<Plan, string>> = {
    pay: 'pm_card_visa',
    review_approve: 'pm_card_riskLevelElevated',
    review_reject: 'pm_card_riskLevelElevated',
    reject: 'pm_card_riskLevelHighest',
    dispute: 'pm_card_createDispute',
  };
  if (plan === 'decline_then_pay' || plan === 'decline_and_leave') {
    await confirm(placed, 'pm_card_chargeDeclined');
    if (plan === 'decline_then_pay') await confirm(placed, 'pm_card_visa');
  } else if (method[plan] !== undefined) {
    await confirm(placed, method[plan]);
  }
  return placed;
}

interface OrderView {
  readonly id: string;
  readonly status: string;
  readonly paymentStatus: string;
  readonly fraudStatus: string;
  readonly fulfilmentStatus: string;
  readonly amounts: { readonly total: number; readonly captured: number };
}

const getOrder = (store: DemoStore, id: string) =>
  expectStatus(call<OrderView>('GET', `/v1/orders/${id}`, { token: store.apiKey }), 200, 'get order');

/** Waits until every order has left the states the payment pipeline passes through. */
async function settle(store: DemoStore, placed: readonly Placed[]): Promise<Map<string, OrderView>> {
  const views = new Map<string, OrderView>();
  const deadline = Date.now() + 60_000;
  let pending = [...placed];
  while (pending.length > 0 && Date.now() < deadline) {
    const still: Placed[] = [];
    await inParallel(pending, async (item) => {
      const view = await getOrder(store, item.orderId);
      views.set(item.orderId, view);
      const waitsForPayment = ['abandon', 'decline_and_leave'].includes(item.plan);
      const busy = waitsForPayment
        ? false
        : view.status === 'pending_payment' || view.status === 'processing';
      if (busy) still.push(item);
    });
    pending = still;
    if (pending.length > 0) await sleep(250);
  }
  return views;
}

/** The orders of this slot's batch that are paid now (`paid` holds every paid order so far). */
function paidThisSlot(placed: readonly Placed[], paid: readonly string[]): string[] {
  const ids = new Set(placed.map((item) => item.orderId));
  return paid.filter((orderId) => ids.has(orderId));
}

function signShipping(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

async function track(
  store: DemoStore,
  at: Date,
  events: readonly { trackingNumber: string; status: string }[],
): Promise<void> {
  if (events.length === 0) return;
  const body = JSON.stringify({
    events: events.map((event) => ({
      eventId: `evt_${randomUUID()}`,
      carrier: 'ups',
      trackingNumber: event.trackingNumber,
      status: event.status,
      occurredAt: at.toISOString(),
      location: 'Memphis, TN',
    })),
  });
  await expectStatus(
    call('POST', `/v1/webhooks/shipping/${store.id}`, {
      raw: body,
      headers: {
        'content-type': 'application/json',
        'x-salesops-signature': signShipping(store.shippingWebhookSecret, body, at),
      },
    }),
    202,
    'tracking events',
  );
}

// ---------------------------------------------------------------------------------------------
// The day

async function main(): Promise<void> {
  const health = await fetch(`${apiUrl}/health`).catch(() => undefined);
  if (health?.ok !== true) {
    console.error(`No Sales Ops on ${apiUrl}: start it first with \`npm start\`.`);
    process.exit(1);
  }
  const day = localDateOf(new Date((await stackNow()).getTime() + 86_400_000));
  console.log(`Playing ${day} (${timeZone}) on ${apiUrl}`);

  const created = await expectStatus(
    call<DemoStore>('POST', '/admin/v1/stores', {
      token: adminToken,
      body: { name: `Demo Coffee ${day}`, timezone: timeZone, defaultCurrency: 'usd' },
    }),
    201,
    'create the store',
  );
  const store: DemoStore = {
    id: created.id,
    apiKey: created.apiKey,
    shippingWebhookSecret: created.shippingWebhookSecret,
  };
  await expectStatus(
    call('PATCH', '/v1/store', {
      token: store.apiKey,
      body: {
        settings: {
          shippingRates: [
            { country: 'US', currency: 'usd', amount: 800, freeOverSubtotal: 10000 },
            { country: '*', currency: 'usd', amount: 2500 },
          ],
          taxRates: { 'US-NY': 0.08875, US: 0.05, '*': 0 },
          fulfilment: { shipWithinHours: 6 },
          // Every simulator card of a kind shares one fingerprint; a real card limit would hold
          // the whole day's shoppers for review.
          fraud: { maxOrdersPerCard: 1_000_000 },
        },
      },
    }),
    200,
    'store settings',
  );
  for (const { sku, ...product } of products) {
    await expectStatus(
      call('PUT', `/v1/products/${sku}`, {
        token: store.apiKey,
        body: { ...product, currency: 'usd', stock: 5000 },
      }),
      200,
      'product',
    );
  }

  const all: Placed[] = [];
  const paid: string[] = [];
  const shipped: { orderId: string; trackingNumber: string; at: number; deliverAfterSlots: number }[] = [];
  /** Paid orders waiting in the warehouse, by the slot at which they ship. */
  const readyAt = new Map<string, number>();
  let index = 0;
  let disputed = false;
  const slots = Array.from({ length: 31 }, (_, slot) =>
    localInstant(day, 8 + Math.floor(slot / 2), (slot % 2) * 30),
  );
  for (const [slot, at] of slots.entries()) {
    await setClock(at);
    const batch = Array.from({ length: checkoutsPerSlot }, (): Plan => {
      if (!disputed && slot === 4) {
        disputed = true;
        return 'dispute';
      }
      return pickPlan();
    });
    const placed: Placed[] = [];
    await inParallel(
      batch.map((plan) => ({ plan, index: index++ })),
      async ({ plan, index: shopper }) => {
        placed.push(await shop(store, shopper, plan));
      },
    );
    all.push(...placed);
    const views = await settle(store, placed);

    // Reviews: the team works the queue as it fills.
    for (const item of placed) {
      const view = views.get(item.orderId);
      if (view?.status !== 'on_hold') continue;
      const decision = item.plan === 'review_reject' ? 'reject' : 'approve';
      await expectStatus(
        call('POST', `/v1/orders/${item.orderId}/review`, { token: store.apiKey, body: { decision } }),
        200,
        'review',
      );
    }
    await settle(store, placed);
    for (const item of placed) {
      const view = await getOrder(store, item.orderId);
      if (view.status === 'paid') paid.push(item.orderId);
    }

    // The warehouse ships each paid order one to eight slots later (a few wait longer than the
    // store's six hours); carriers report as the day goes on.
    for (const orderId of paidThisSlot(placed, paid))
      readyAt.set(orderId, slot + 1 + Math.floor(next() ** 3 * 14));
    const toShip = [...readyAt].filter(([, ready]) => ready <= slot).map(([orderId]) => orderId);
    for (const orderId of toShip) readyAt.delete(orderId);
    await inParallel(toShip, async (orderId) => {
      const trackingNumber = `1Z${randomUUID().replaceAll('-', '').slice(0, 14).toUpperCase()}`;
      await expectStatus(
        call('POST', `/v1/orders/${orderId}/shipments`, {
          token: store.apiKey,
          body: { carrier: 'ups', trackingNumber },
          headers: { 'idempotency-key': randomUUID() },
        }),
        201,
        'shipment',
      );
      shipped.push({
        orderId,
        trackingNumber,
        at: at.getTime(),
        deliverAfterSlots: 3 + Math.floor(next() * 9),
      });
    });
    const slotsSince = (shipment: { at: number }) => Math.round((at.getTime() - shipment.at) / 1_800_000);
    const inTransit = shipped.filter((shipment) => slotsSince(shipment) === 2);
    const delivered = shipped.filter((shipment) => slotsSince(shipment) === shipment.deliverAfterSlots);
    await track(store, at, [
      ...inTransit.map(({ trackingNumber }) => ({ trackingNumber, status: 'in_transit' })),
      ...delivered.map(({ trackingNumber }, position) => ({
        trackingNumber,
        status: position % 17 === 3 ? 'exception' : 'delivered',
      })),
    ]);

    // Customer service refunds a few orders each afternoon hour.
    if (slot >= 12 && slot % 3 === 0) {
      const candidates = all.filter((item) => item.plan === 'pay').slice(slot, slot + 2);
      for (const [position, item] of candidates.entries()) {
        const view = await getOrder(store, item.orderId);
        if (view.paymentStatus !== 'captured') continue;
        const amount = position === 0 ? view.amounts.captured : Math.floor(view.amounts.captured / 4);
        await expectStatus(
          call('POST', `/v1/orders/${item.orderId}/refunds`, {
            token: store.apiKey,
            body: { amount, reason: 'requested_by_customer' },
            headers: { 'idempotency-key': randomUUID() },
          }),
          201,
          'refund',
        );
      }
    }
    const progress = `  ${localTimeOf(at)}  ${all.length} checkouts, ${shipped.length} shipped`;
    if (process.stdout.isTTY) process.stdout.write(`\r${progress}`);
    else if (slot % 6 === 5) console.log(progress);
  }
  if (process.stdout.isTTY) process.stdout.write('\n');

  // The next night: reservations of abandoned carts have expired; roll the day up.
  await setClock(localInstant(nextDate(day), 1, 30));
  const job = await expectStatus(
    call<{ id: string }>('POST', '/v1/kpis/rollups', {
      token: store.apiKey,
      body: { from: day, to: day },
      headers: { 'idempotency-key': randomUUID() },
    }),
    202,
    'start the rollup',
  );
  for (let attempt = 0; attempt < 240; attempt++) {
    const state = await expectStatus(
      call<{ status: string }>('GET', `/v1/kpis/rollups/${job.id}`, { token: store.apiKey }),
      200,
      'rollup progress',
    );
    if (state.status === 'completed') break;
    if (state.status === 'failed') throw new Error('the rollup failed');
    await sleep(500);
  }
  await printKpis(store, day);
}

type Metrics = Record<string, number | null | { p50: number | null; p90: number | null }>;
interface KpiRow {
  readonly dimension: string;
  readonly value: string | null;
  readonly currency: string;
  readonly metrics: Metrics;
}

async function printKpis(store: DemoStore, day: string): Promise<void> {
  const rows = async (dimension: string) =>
    (
      await expectStatus(
        call<{ data: KpiRow[] }>(
          'GET',
          `/v1/kpis?from=${day}&to=${day}&granularity=day&dimension=${dimension}`,
          {
            token: store.apiKey,
          },
        ),
        200,
        'read KPIs',
      )
    ).data;
  const [all] = await rows('all');
  if (all === undefined) throw new Error('no KPI row for the day');
  const m = all.metrics;
  const money = (value: unknown) => (typeof value === 'number' ? `$${(value / 100).toFixed(2)}` : '—');
  const ratio = (value: unknown) => (typeof value === 'number' ? `${(value * 100).toFixed(1)} %` : '—');
  const hours = (value: unknown) => {
    const p = value as { p50: number | null; p90: number | null } | undefined;
    return p?.p50 === null || p === undefined ? '—' : `p50 ${p.p50} h, p90 ${p.p90} h`;
  };
  console.log(`\nKPIs of ${day} (${timeZone}), store ${store.id}\n`);
  const table: [string, string][] = [
    ['Checkouts started', String(m.checkoutsStarted)],
    ['Checkouts paid', String(m.checkoutsPaid)],
    ['Conversion', ratio(m.conversionRate)],
    ['Abandoned (value)', `${m.checkoutsAbandoned} (${money(m.abandonedValue)})`],
    ['Payment failure rate', ratio(m.paymentFailureRate)],
    ['Orders paid', String(m.ordersPaid)],
    ['Gross sales', money(m.grossSales)],
    ['Discounts', money(m.discounts)],
    ['Refunds', money(m.refunds)],
    ['Net sales', money(m.netSales)],
    ['Average order value', money(m.averageOrderValue)],
    ['Shipping charged / tax', `${money(m.shippingCharged)} / ${money(m.taxCollected)}`],
    ['Units sold', String(m.unitsSold)],
    ['Fraud screened', String(m.fraudScreened)],
    ['  approved / reviewed / rejected', `${m.fraudApproved} / ${m.fraudReviewed} / ${m.fraudRejected}`],
    ['Fraud reject rate', ratio(m.fraudRejectRate)],
    ['Disputes opened (amount)', `${m.disputesOpened} (${money(m.disputedAmount)})`],
    ['Orders shipped', String(m.ordersShipped)],
    ['Hours to ship', hours(m.hoursToShip)],
    ['On-time ship rate', ratio(m.onTimeShipRate)],
    ['Shipments delivered', String(m.shipmentsDelivered)],
    ['Hours to deliver', hours(m.hoursToDeliver)],
    ['Delivery exceptions', String(m.deliveryExceptions)],
  ];
  const width = Math.max(...table.map(([label]) => label.length));
  for (const [label, value] of table) console.log(`  ${label.padEnd(width)}  ${value}`);

  console.log('\nFunnel');
  const steps: [string, number][] = [
    ['started', Number(m.checkoutsStarted)],
    ['paid', Number(m.checkoutsPaid)],
    ['shipped', Number(m.ordersShipped)],
    ['delivered', Number(m.shipmentsDelivered)],
  ];
  const top = Math.max(1, steps[0]?.[1] ?? 1);
  for (const [label, count] of steps) {
    console.log(`  ${label.padEnd(10)} ${'█'.repeat(Math.round((count / top) * 40)).padEnd(40)} ${count}`);
  }

  for (const dimension of ['segment', 'channel', 'salesRep']) {
    console.log(`\nBy ${dimension}`);
    for (const row of await rows(dimension)) {
      const r = row.metrics;
      console.log(
        `  ${String(row.value).padEnd(14)} started ${String(r.checkoutsStarted).padStart(4)}  paid ${String(
          r.ordersPaid,
        ).padStart(
          4,
        )}  net ${money(r.netSales).padStart(11)}  conversion ${ratio(r.conversionRate).padStart(7)}`,
      );
    }
  }
}

await main();
