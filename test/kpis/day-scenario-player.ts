/**
 * A generated (seeded) scenario for the KPI acceptance test, played over HTTP on a scenario stack
 * (./scenario-stack.ts) for stores in `UTC` and `America/Los_Angeles` on one global timeline, and
 * the record of what it did: which orders, with which dimensions and amounts (from the checkout
 * responses), which plan, which refunds, shipments and tracking events at which moment. From that
 * record, and the order views' timestamps where the server's time matters, `oracleOrders` gives
 * what the KPI oracle (./kpi-oracle.ts) needs.
 *
 * The timeline (UTC instants): X is a date a few days after the real now.
 *   T1 X 10:00 · T2 X 23:50 · T3 X+1 00:10 (the UTC store's midnight between T2 and T3)
 *   N1 X+1 01:30 (the UTC store's night for X) · T4 / T5 ten minutes before / after Los Angeles'
 *   midnight · N2 LA's night for X (01:30 there) · T6 X+1 12:00 · N3 both stores' night for X+1.
 *
 * What may change a day's numbers after its night is chosen, so that the late refund is the only
 * thing that does: reviews are decided at the next moment and before the store's night of their
 * screening, and abandoned reservations (15 minutes) lapse before that night too. So only the
 * late refund's stale marker can make the next night roll day X up again.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import type { TestStore } from '../support/api.ts';
import { offsetMs } from '../support/kpi-days.ts';
import { eventually } from '../support/orders-flow.ts';
import type { TrackingEvent, TrackingStatus } from '../support/shipments.ts';
import type { OracleOrder } from './kpi-oracle.ts';
import type { ScenarioStack } from './scenario-stack.ts';

// ---------------------------------------------------------------------------------------------
// The timeline

export interface Moment {
  readonly name: 'T1' | 'T2' | 'T3' | 'N1' | 'T4' | 'T5' | 'N2' | 'T6' | 'N3';
  readonly at: string;
}

export interface Timeline {
  /** Day X and X+1, as UTC dates (and LA dates: the stores share them). */
  readonly x: string;
  readonly x1: string;
  readonly moments: readonly Moment[];
}

const dayMs = 86_400_000;
const minuteMs = 60_000;
const laZone = 'America/Los_Angeles';

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * X: the first date two or more days after `now` such that X and X+1 share their ISO week and
 * month (so the week and month rows hold both days) and Los Angeles keeps one offset throughout.
 */
export function scenarioTimeline(now: Date): Timeline {
  let start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + 2 * dayMs;
  for (;;) {
    const sunday = new Date(start).getUTCDay() === 0;
    const sameMonth = utcDate(start).slice(0, 7) === utcDate(start + dayMs).slice(0, 7);
    const offsets = new Set([-1, 0, 1, 2, 3, 4].map((days) => offsetMs(start + days * dayMs, laZone)));
    if (!sunday && sameMonth && offsets.size === 1) break;
    start += dayMs;
  }
  const laMidnight = (days: number) => start + days * dayMs - offsetMs(start, laZone);
  const at = (ms: number) => new Date(ms).toISOString();
  const hour = 60 * minuteMs;
  return {
    x: utcDate(start),
    x1: utcDate(start + dayMs),
    moments: [
      { name: 'T1', at: at(start + 10 * hour) },
      { name: 'T2', at: at(start + dayMs - 10 * minuteMs) },
      { name: 'T3', at: at(start + dayMs + 10 * minuteMs) },
      { name: 'N1', at: at(start + dayMs + 90 * minuteMs) },
      { name: 'T4', at: at(laMidnight(1) - 10 * minuteMs) },
      { name: 'T5', at: at(laMidnight(1) + 10 * minuteMs) },
      { name: 'N2', at: at(laMidnight(1) + 90 * minuteMs) },
      { name: 'T6', at: at(start + dayMs + 12 * hour) },
      { name: 'N3', at: at(laMidnight(2) + 90 * minuteMs) },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// What the scenario does and remembers

/** How a shopper's checkout goes. */
export type Plan =
  | 'pay'
  | 'decline_then_pay'
  | 'decline_and_leave'
  | 'abandon'
  | 'review_approve'
  | 'review_reject'
  | 'review_cancel'
  | 'review_hold'
  | 'reject'
  | 'dispute';

const paymentMethods: Readonly<Record<Plan, readonly string[]>> = {
  pay: ['pm_card_visa'],
  decline_then_pay: ['pm_card_chargeDeclined', 'pm_card_visa'],
  decline_and_leave: ['pm_card_chargeDeclined'],
  abandon: [],
  review_approve: ['pm_card_riskLevelElevated'],
  review_reject: ['pm_card_riskLevelElevated'],
  review_cancel: ['pm_card_riskLevelElevated'],
  review_hold: ['pm_card_riskLevelElevated'],
  reject: ['pm_card_riskLevelHighest'],
  dispute: ['pm_card_createDispute'],
};

const reviewDecisions: Partial<Record<Plan, 'approve' | 'reject' | 'cancel'>> = {
  review_approve: 'approve',
  review_reject: 'reject',
  review_cancel: 'cancel',
};

/** The plans each checkout moment must have, then a few drawn by weight. */
const requiredPlans: Readonly<Record<string, readonly Plan[]>> = {
  T1: ['pay', 'pay', 'pay', 'dispute', 'review_approve', 'abandon', 'decline_then_pay', 'reject'],
  // Reviews approved at the next moment, after the UTC (T2) and LA (T4) midnights: their cohort
  // is one day, their sale the next.
  T2: ['pay', 'pay', 'review_approve', 'review_reject', 'decline_and_leave', 'abandon'],
  T3: ['pay', 'pay', 'review_approve', 'review_cancel', 'abandon'],
  T4: ['pay', 'pay', 'review_approve', 'review_reject', 'decline_then_pay'],
  T5: ['pay', 'pay', 'review_approve', 'abandon'],
  T6: ['pay', 'pay', 'review_hold', 'review_approve', 'decline_and_leave'],
};
const drawnPlans: Readonly<Record<string, number>> = { T1: 0, T2: 1, T3: 2, T4: 1, T5: 2, T6: 1 };
const planWeights: readonly (readonly [Plan, number])[] = [
  ['pay', 50],
  ['decline_then_pay', 12],
  ['decline_and_leave', 6],
  ['abandon', 10],
  ['review_approve', 8],
  ['review_reject', 6],
  ['reject', 8],
];

const products = [
  { sku: 'MUG', unitAmount: 1299 },
  { sku: 'BEANS', unitAmount: 2450 },
  { sku: 'KETTLE', unitAmount: 7900 },
  { sku: 'GRINDER', unitAmount: 18900 },
] as const;
const reps = ['rep_ana', 'rep_ben', 'rep_chloe'] as const;
const territories = ['west', 'north#1', 'zürich'] as const;
const destinations = [
  { country: 'US', state: 'CA', postalCode: '94105' },
  { country: 'US', state: 'CA', postalCode: '94105' },
  { country: 'US', state: 'NY', postalCode: '10001' },
  { country: 'CA', postalCode: 'M5V 2T6' },
  { country: 'GB', postalCode: 'SW1A 1AA' },
  { country: 'DE', postalCode: '10115' },
] as const;
const couponCode = 'TENOFF';
const unattributed = 'unattributed';

type Line = { readonly sku: string; readonly quantity: number };
type Values = OracleOrder['values'];

export interface ShipmentRecord {
  readonly id: string;
  readonly trackingNumber: string;
  readonly createdAt: string;
  readonly moment: number;
  readonly events: TrackingEvent[];
}

export interface OrderRecord {
  readonly id: string;
  readonly paymentIntentId: string;
  readonly plan: Plan;
  /** Index of the moment it was created at. */
  readonly moment: number;
  readonly values: Values;
  readonly amounts: OracleOrder['amounts'];
  readonly lines: readonly Line[];
  /** Left alone after its payment, for the late refund of T2. */
  readonly lateRefundTarget: boolean;
  expectedStatus: 'pending_payment' | 'on_hold' | 'paid' | 'cancelled';
  cancelReason?: string;
  /** The moment it was captured at, once it was. */
  capturedMoment?: number;
  decision?: 'approve' | 'reject' | 'cancel';
  /** `delivered`: the backend has been told (a held refund is not, until its webhooks are released). */
  readonly refunds: { id: string; amount: number; late: boolean; delivered: boolean; created?: string }[];
  disputeId?: string;
  disputeLost: boolean;
  readonly shipments: ShipmentRecord[];
  unshipped: Line[];
}

export interface ScenarioStore {
  readonly key: 'utc' | 'la';
  readonly timeZone: string;
  readonly shipWithinHours: number;
  readonly api: TestStore;
  readonly records: OrderRecord[];
  readonly dice: Dice;
  shoppers: number;
  trackingNumbers: number;
  /** The shipment whose exceptions come at T3 and T4 (the same local day in both stores). */
  forcedShipmentId?: string;
}

type OrderView = {
  id: string;
  status: string;
  cancelReason?: string;
  createdAt: string;
  amounts: {
    subtotal: number;
    discount: number;
    shipping: number;
    tax: number;
    total: number;
    refunded: number;
  };
  timeline: { at: string; type: string; detail?: string }[];
  shipments: { id: string; createdAt: string; events: { eventId: string }[] }[];
};

/**
 * Seeded draws (mulberry32), one sequence per store: the scenario is the same on every run
 * whatever order the two stores' requests interleave in.
 */
class Dice {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('nothing to pick from');
    return item;
  }

  plan(): Plan {
    let roll = this.next() * sum(planWeights.map(([, weight]) => weight));
    for (const [plan, weight] of planWeights) {
      roll -= weight;
      if (roll < 0) return plan;
    }
    return 'pay';
  }
}

/** `work` over `items`, `limit` at a time; results in the items' order. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  // One iterator shared by the workers: each takes the next item when it is free.
  const queue = items.entries();
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (const [index, item] of queue) results[index] = await work(item);
    }),
  );
  return results;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const refundedOf = (record: OrderRecord) => sum(record.refunds.map((refund) => refund.amount));
const deliveredRefundsOf = (record: OrderRecord) =>
  sum(record.refunds.filter((refund) => refund.delivered).map((refund) => refund.amount));

// ---------------------------------------------------------------------------------------------
// Playing it

export class DayScenario {
  /** Index of the moment the clock was last moved to. */
  private current = -1;

  private constructor(
    private readonly stack: ScenarioStack,
    readonly timeline: Timeline,
    readonly stores: readonly ScenarioStore[],
  ) {}

  static async create(stack: ScenarioStack, timeline: Timeline): Promise<DayScenario> {
    const stores: ScenarioStore[] = [];
    for (const [key, timeZone, shipWithinHours, seed] of [
      ['utc', 'UTC', 12, 20261201],
      ['la', laZone, 10, 20261202],
    ] as const) {
      const api = await stack.createStore({
        name: `Scenario ${key}`,
        timezone: timeZone,
        settings: {
          reservationMinutes: 15,
          shippingRates: [
            { country: 'US', currency: 'usd', amount: 800, freeOverSubtotal: 10000 },
            { country: '*', currency: 'usd', amount: 2500 },
          ],
          taxRates: { 'US-CA': 0.0725, US: 0.05, '*': 0 },
          fulfilment: { shipWithinHours },
          // One card pays every order here: only the scenario's own signals may move the screening.
          fraud: {
            maxOrdersPerEmail: 1000,
            maxOrdersPerIp: 1000,
            maxOrdersPerCard: 1000,
            largeFirstOrderAmount: 10_000_000,
          },
        },
      });
      for (const product of products) {
        const put = await api.call('PUT', `/v1/products/${product.sku}`, {
          body: { name: product.sku, unitAmount: product.unitAmount, currency: 'usd', stock: 100_000 },
        });
        if (put.status !== 200) throw new Error(`product: ${JSON.stringify(put.body)}`);
      }
      const coupon = await api.call('PUT', `/v1/coupons/${couponCode}`, { body: { percentOff: 10 } });
      if (coupon.status !== 200) throw new Error(`coupon: ${JSON.stringify(coupon.body)}`);
      stores.push({
        key,
        timeZone,
        shipWithinHours,
        api,
        records: [],
        dice: new Dice(seed),
        shoppers: 0,
        trackingNumbers: 0,
      });
    }
    return new DayScenario(stack, timeline, stores);
  }

  store(key: ScenarioStore['key']): ScenarioStore {
    const found = this.stores.find((store) => store.key === key);
    if (found === undefined) throw new Error(`no store ${key}`);
    return found;
  }

  moment(name: Moment['name']): Moment {
    const found = this.timeline.moments.find((moment) => moment.name === name);
    if (found === undefined) throw new Error(`no moment ${name}`);
    return found;
  }

  /** Plays the moments up to and including `name` that have not been played yet. */
  async playUntil(name: Moment['name']): Promise<void> {
    const last = this.timeline.moments.findIndex((moment) => moment.name === name);
    while (this.current < last) await this.play(this.current + 1);
  }

  private async play(index: number): Promise<void> {
    const moment = this.timeline.moments[index];
    if (moment === undefined) throw new Error(`no moment ${index}`);
    await this.moveClock(index);
    if (moment.name.startsWith('N')) {
      // The store's night: its schedule starts the nightly jobs; their days and periods run on the queue.
      await this.stack.runSchedule('kpi-nightly');
      await this.stack.drainQueues();
      return;
    }
    if (moment.name === 'T6') {
      const released = await this.stack.releaseWebhooks();
      if (released < this.stores.length) throw new Error(`only ${released} held webhooks were released`);
      for (const store of this.stores) {
        for (const record of store.records) for (const refund of record.refunds) refund.delivered = true;
      }
    }
    await Promise.all(
      this.stores.map((store) => this.decideReviews(store, (record) => record.moment < index)),
    );
    if (moment.name === 'T3') await Promise.all(this.stores.map((store) => this.loseDispute(store)));
    await Promise.all(this.stores.map((store) => this.checkouts(store, moment, index)));
    await this.settle();
    if (moment.name === 'T6') {
      // No later moment: this moment's reviews are decided now.
      await Promise.all(
        this.stores.map((store) => this.decideReviews(store, (record) => record.moment === index)),
      );
      await this.settle();
    }
    await Promise.all(this.stores.map((store) => this.refunds(store, index)));
    if (moment.name === 'T2') await Promise.all(this.stores.map((store) => this.lateRefund(store)));
    await Promise.all(this.stores.map((store) => this.shipments(store, index)));
    await Promise.all(this.stores.map((store) => this.tracking(store, moment, index)));
    await this.settle();
    await this.recordDisputes();
  }

  /** Moves the clock, lets the sweeper expire the reservations that lapsed, and settles. */
  private async moveClock(index: number): Promise<void> {
    const moment = this.timeline.moments[index];
    if (moment === undefined) throw new Error(`no moment ${index}`);
    await this.stack.setClock(moment.at);
    this.current = index;
    await this.stack.runSchedule('sweep');
    // Moments are at least 20 minutes apart and reservations last 15: every unpaid one lapsed.
    for (const store of this.stores) {
      for (const record of store.records) {
        if (record.expectedStatus === 'pending_payment' && record.moment < index) {
          record.expectedStatus = 'cancelled';
          record.cancelReason = 'payment_expired';
        }
      }
    }
    // Before a night everything must have landed; at a checkout moment the next settle waits.
    if (moment.name.startsWith('N')) await this.settle();
  }

  private checkoutBody(store: ScenarioStore) {
    const shopper = ++store.shoppers;
    const b2b = store.dice.next() < 0.35;
    const channel = store.dice.next();
    const attribution:
      | { channel: 'inbound' | 'outbound'; source?: string; territory?: string; salesRepId?: string }
      | undefined =
      channel < 0.2
        ? undefined
        : channel < 0.55
          ? {
              channel: 'inbound',
              source: 'google',
              ...(store.dice.next() < 0.5 ? { territory: store.dice.pick(territories) } : {}),
            }
          : {
              channel: 'outbound',
              salesRepId: store.dice.pick(reps),
              territory: store.dice.pick(territories),
            };
    const destination = store.dice.pick(destinations);
    const skus = new Set(
      Array.from({ length: 1 + Math.floor(store.dice.next() * 3) }, () => store.dice.pick(products).sku),
    );
    const items = [...skus].map((sku) => ({ sku, quantity: 1 + Math.floor(store.dice.next() * 3) }));
    const coupon = store.dice.next() < 0.3;
    const body = {
      currency: 'usd',
      items,
      customer: {
        email: `${store.key}-shopper-${shopper}@example.com`,
        type: b2b ? 'b2b' : 'b2c',
        ...(b2b ? { companyName: `Company ${shopper}` } : {}),
      },
      shippingAddress: { line1: `${shopper} Main St`, city: 'Springfield', ...destination },
      ...(attribution === undefined ? {} : { attribution }),
      ...(coupon ? { couponCode } : {}),
    };
    const values: Values = {
      segment: body.customer.type,
      channel: attribution?.channel ?? unattributed,
      territory: attribution?.territory ?? unattributed,
      salesRep: attribution?.salesRepId ?? unattributed,
      country: destination.country,
    };
    return { body, values, items };
  }

  private async checkouts(store: ScenarioStore, moment: Moment, index: number): Promise<void> {
    const plans = [...(requiredPlans[moment.name] ?? [])];
    for (let drawn = 0; drawn < (drawnPlans[moment.name] ?? 0); drawn++) plans.push(store.dice.plan());
    // Drawn before anything runs, so the scenario does not depend on how requests interleave.
    const planned = plans.map((plan, position) => ({
      plan,
      lateRefundTarget: moment.name === 'T1' && position === 0,
      ...this.checkoutBody(store),
    }));
    const records = await inParallel(planned, 4, async (item) => {
      const created = await store.api.call<{
        id: string;
        amounts: OracleOrder['amounts'];
        payment: { paymentIntentId: string };
      }>('POST', '/v1/checkouts', { body: item.body, headers: { 'idempotency-key': randomUUID() } });
      if (created.status !== 201)
        throw new Error(`checkout: ${created.status} ${JSON.stringify(created.body)}`);
      const { subtotal, discount, shipping, tax, total } = created.body.amounts;
      const record: OrderRecord = {
        id: created.body.id,
        paymentIntentId: created.body.payment.paymentIntentId,
        plan: item.plan,
        moment: index,
        values: item.values,
        amounts: { subtotal, discount, shipping, tax, total },
        lines: item.items,
        lateRefundTarget: item.lateRefundTarget,
        expectedStatus: 'pending_payment',
        refunds: [],
        disputeLost: false,
        shipments: [],
        unshipped: item.items.map((line) => ({ ...line })),
      };
      for (const method of paymentMethods[item.plan]) {
        const outcome = await this.confirm(record.paymentIntentId, method);
        const expected = method === 'pm_card_chargeDeclined' ? 'declined' : 'authorised';
        if (outcome !== expected) throw new Error(`${method} on ${record.id}: ${outcome}`);
      }
      switch (item.plan) {
        case 'pay':
        case 'decline_then_pay':
        case 'dispute':
          record.expectedStatus = 'paid';
          record.capturedMoment = index;
          break;
        case 'reject':
          record.expectedStatus = 'cancelled';
          record.cancelReason = 'fraud_rejected';
          break;
        case 'review_approve':
        case 'review_reject':
        case 'review_cancel':
        case 'review_hold':
          record.expectedStatus = 'on_hold';
          break;
        case 'abandon':
        case 'decline_and_leave':
          break;
      }
      return record;
    });
    store.records.push(...records);
  }

  private async confirm(paymentIntentId: string, paymentMethod: string): Promise<'authorised' | 'declined'> {
    try {
      await this.stack.stripe.paymentIntents.confirm(paymentIntentId, { payment_method: paymentMethod });
      return 'authorised';
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) return 'declined';
      throw error;
    }
  }

  private async decideReviews(store: ScenarioStore, due: (record: OrderRecord) => boolean): Promise<void> {
    const waiting = store.records.filter(
      (record) =>
        record.expectedStatus === 'on_hold' && reviewDecisions[record.plan] !== undefined && due(record),
    );
    await inParallel(waiting, 4, async (record) => {
      const decision = reviewDecisions[record.plan];
      const response =
        decision === 'cancel'
          ? await store.api.call('POST', `/v1/orders/${record.id}/cancel`, {
              body: { reason: 'customer asked' },
            })
          : await store.api.call('POST', `/v1/orders/${record.id}/review`, { body: { decision } });
      if (response.status !== 200)
        throw new Error(`${decision} ${record.id}: ${JSON.stringify(response.body)}`);
      record.decision = decision;
      if (decision === 'approve') {
        record.expectedStatus = 'paid';
        record.capturedMoment = this.current;
      } else {
        record.expectedStatus = 'cancelled';
        record.cancelReason = decision === 'reject' ? 'review_rejected' : 'requested';
      }
    });
  }

  private async loseDispute(store: ScenarioStore): Promise<void> {
    for (const record of store.records) {
      if (record.disputeId === undefined) continue;
      await this.stack.closeDispute(record.disputeId, 'lost');
      record.disputeLost = true;
    }
  }

  /** Customer service refunds a paid order or two: a part of one, whatever is left of another. */
  private async refunds(store: ScenarioStore, index: number): Promise<void> {
    const candidates = store.records.filter(
      (record) =>
        record.expectedStatus === 'paid' &&
        record.plan !== 'dispute' &&
        !record.lateRefundTarget &&
        refundedOf(record) < record.amounts.total,
    );
    const chosen = new Set<OrderRecord>();
    for (let draw = 0; draw < 2 && chosen.size < candidates.length; draw++)
      chosen.add(store.dice.pick(candidates));
    for (const [position, record] of [...chosen].entries()) {
      const remaining = record.amounts.total - refundedOf(record);
      const partial = position === 0 && remaining >= 3;
      const amount = partial ? Math.floor(remaining / 3) : remaining;
      const response = await store.api.call<{ id: string; amount: number }>(
        'POST',
        `/v1/orders/${record.id}/refunds`,
        { body: partial ? { amount, reason: 'requested_by_customer' } : {} },
      );
      if (response.status !== 201 || response.body.amount !== amount) {
        throw new Error(`refund of ${record.id} (${amount}) at ${index}: ${JSON.stringify(response.body)}`);
      }
      record.refunds.push({ id: response.body.id, amount, late: false, delivered: true });
    }
  }

  /**
   * A refund made in Stripe whose webhooks are held back: the backend hears of it only when they
   * are released (at T6), long after the store's night for its day.
   */
  private async lateRefund(store: ScenarioStore): Promise<void> {
    const record = store.records.find((candidate) => candidate.lateRefundTarget);
    if (record === undefined || record.expectedStatus !== 'paid')
      throw new Error('no paid order for the late refund');
    await this.stack.holdWebhooks(record.paymentIntentId);
    const amount = store.key === 'utc' ? record.amounts.total : Math.floor(record.amounts.total / 2);
    const refund = await this.stack.stripe.refunds.create({ payment_intent: record.paymentIntentId, amount });
    record.refunds.push({
      id: refund.id,
      amount,
      late: true,
      delivered: false,
      created: new Date(refund.created * 1000).toISOString(),
    });
  }

  /**
   * The warehouse ships orders paid at an earlier moment: a multi-line order first in part (its
   * first line), the rest at a later moment.
   */
  private async shipments(store: ScenarioStore, index: number): Promise<void> {
    const candidates = store.records.filter(
      (record) =>
        record.expectedStatus === 'paid' &&
        record.capturedMoment !== undefined &&
        record.capturedMoment < index &&
        record.plan !== 'dispute' &&
        !record.lateRefundTarget &&
        refundedOf(record) < record.amounts.total &&
        record.unshipped.length > 0,
    );
    const chosen = new Set<OrderRecord>();
    for (let draw = 0; draw < 4 && chosen.size < candidates.length; draw++)
      chosen.add(store.dice.pick(candidates));
    for (const record of chosen) {
      const [first, ...rest] = record.unshipped;
      const inPart = record.shipments.length === 0 && rest.length > 0 && first !== undefined;
      const trackingNumber = `1ZSCN${store.key.toUpperCase()}${String(++store.trackingNumbers).padStart(6, '0')}`;
      const response = await store.api.call<{ id: string; createdAt: string }>(
        'POST',
        `/v1/orders/${record.id}/shipments`,
        { body: { carrier: 'ups', trackingNumber, ...(inPart ? { lines: [first] } : {}) } },
      );
      if (response.status !== 201)
        throw new Error(`shipment of ${record.id}: ${JSON.stringify(response.body)}`);
      record.shipments.push({
        id: response.body.id,
        trackingNumber,
        createdAt: response.body.createdAt,
        moment: index,
        events: [],
      });
      record.unshipped = inPart ? rest : [];
      if (store.forcedShipmentId === undefined && this.timeline.moments[index]?.name === 'T2') {
        store.forcedShipmentId = response.body.id;
      }
    }
  }

  /**
   * The carrier reports on shipments created at earlier moments, `occurredAt` = this moment. One
   * shipment gets exceptions at T3 and T4 (one local day in both stores) and is delivered at T6;
   * otherwise an exception is never followed by another, so "became `exception`" is never in doubt.
   */
  private async tracking(store: ScenarioStore, moment: Moment, index: number): Promise<void> {
    const events: TrackingEvent[] = [];
    for (const record of store.records) {
      for (const shipment of record.shipments) {
        if (shipment.moment >= index) continue;
        const last = shipment.events.at(-1)?.status;
        if (last === 'delivered' || last === 'returned') continue;
        let status: TrackingStatus | undefined;
        if (shipment.id === store.forcedShipmentId) {
          status =
            moment.name === 'T3' || moment.name === 'T4'
              ? 'exception'
              : moment.name === 'T6'
                ? 'delivered'
                : undefined;
        } else {
          const roll = store.dice.next();
          status =
            roll < 0.45
              ? 'delivered'
              : roll < 0.6
                ? 'exception'
                : roll < 0.65
                  ? 'returned'
                  : roll < 0.8
                    ? 'in_transit'
                    : undefined;
          if (last === 'exception' && (status === 'exception' || status === 'returned'))
            status = 'in_transit';
        }
        if (status === undefined) continue;
        const event: TrackingEvent = {
          eventId: `evt_${randomUUID()}`,
          carrier: 'ups',
          trackingNumber: shipment.trackingNumber,
          status,
          occurredAt: moment.at,
        };
        shipment.events.push(event);
        events.push(event);
      }
    }
    await this.stack.track(store.api, events);
  }

  /**
   * Waits until every order shows what the scenario did to it (status, refunds the backend was
   * told of, failed attempts, the dispute, tracking events), then until every queue is empty.
   */
  async settle(): Promise<void> {
    const all = this.stores.flatMap((store) => store.records.map((record) => ({ store, record })));
    const unsettled = await inParallel(all, 8, async ({ store, record }) => {
      const view = await eventually(
        () => this.view(store, record.id),
        (value) => mismatchOf(record, value) === undefined,
        60_000,
      );
      const mismatch = mismatchOf(record, view);
      return mismatch === undefined ? undefined : `${store.key} ${record.id} (${record.plan}): ${mismatch}`;
    });
    const problems = unsettled.filter((problem) => problem !== undefined);
    if (problems.length > 0) throw new Error(`the scenario did not settle:\n${problems.join('\n')}`);
    await this.stack.drainQueues();
  }

  async view(store: ScenarioStore, orderId: string): Promise<OrderView> {
    const response = await store.api.call<OrderView>('GET', `/v1/orders/${orderId}`);
    if (response.status !== 200) throw new Error(`order ${orderId}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** The scenario's orders of `store` as the oracle takes them; the views give the server's times. */
  async oracleOrders(store: ScenarioStore): Promise<OracleOrder[]> {
    return inParallel(store.records, 8, async (record) =>
      oracleOrder(record, await this.view(store, record.id)),
    );
  }

  /** The dispute ids, read once the dispute was seen (after T1). */
  async recordDisputes(): Promise<void> {
    for (const store of this.stores) {
      for (const record of store.records) {
        if (record.plan !== 'dispute' || record.disputeId !== undefined) continue;
        const opened = (await this.view(store, record.id)).timeline.find(
          (entry) => entry.type === 'dispute_opened',
        );
        record.disputeId = opened?.detail?.split(':')[0];
        if (record.disputeId === undefined) throw new Error(`no dispute on ${record.id}`);
      }
    }
  }
}

/** Why the view does not (yet) show what the scenario did to the order; undefined when it does. */
function mismatchOf(record: OrderRecord, view: OrderView): string | undefined {
  if (view.status !== record.expectedStatus)
    return `status ${view.status}, expected ${record.expectedStatus}`;
  if (record.cancelReason !== undefined && view.cancelReason !== record.cancelReason) {
    return `cancelReason ${view.cancelReason}, expected ${record.cancelReason}`;
  }
  if (view.amounts.refunded !== deliveredRefundsOf(record)) {
    return `refunded ${view.amounts.refunded}, expected ${deliveredRefundsOf(record)}`;
  }
  const has = (type: string, detail?: string) =>
    view.timeline.some(
      (entry) => entry.type === type && (detail === undefined || entry.detail?.includes(detail)),
    );
  if (paymentMethods[record.plan].includes('pm_card_chargeDeclined') && !has('payment_failed'))
    return 'no payment_failed';
  if (record.plan === 'dispute' && !has('dispute_opened')) return 'no dispute_opened';
  if (record.disputeLost && !has('dispute_closed', 'lost')) return 'dispute not lost';
  for (const shipment of record.shipments) {
    const shown = view.shipments.find((item) => item.id === shipment.id);
    if (shown === undefined) return `shipment ${shipment.id} missing`;
    const missing = shipment.events.filter(
      (event) => !shown.events.some((item) => item.eventId === event.eventId),
    );
    if (missing.length > 0) return `shipment ${shipment.id} lacks ${missing.length} events`;
  }
  return undefined;
}

/**
 * The order as the oracle takes it: what happened from the scenario's record (plan, decisions,
 * refunds, shipments, tracking events), when it happened on the server from the view's timeline
 * (capture, screening, refunds, disputes). Checks that the timeline holds exactly those entries.
 */
function oracleOrder(record: OrderRecord, view: OrderView): OracleOrder {
  const entries = (type: string, detailStart?: string) =>
    view.timeline.filter(
      (entry) =>
        entry.type === type && (detailStart === undefined || (entry.detail ?? '').startsWith(detailStart)),
    );
  const only = (type: string, detailStart?: string) => {
    const found = entries(type, detailStart);
    const [entry] = found;
    if (found.length !== 1 || entry === undefined) {
      throw new Error(`${record.id}: ${found.length} ${type} entries (${detailStart ?? ''})`);
    }
    return entry.at;
  };

  const captured = record.capturedMoment !== undefined;
  if (!captured && entries('payment_captured').length > 0) throw new Error(`${record.id} captured unplanned`);
  const screened = paymentMethods[record.plan].some((method) => method !== 'pm_card_chargeDeclined');
  const screenings = entries('fraud_screened')
    .map((entry) => entry.at)
    .sort();
  if (screened !== screenings.length > 0)
    throw new Error(`${record.id}: screened ${screenings.length} times`);
  const reviewed = record.plan.startsWith('review_');
  const refunds = record.refunds.filter((refund) => refund.delivered);
  if (entries('refund').length !== refunds.length)
    throw new Error(`${record.id}: refunds ${JSON.stringify(view.timeline)}`);
  const disputeId = record.disputeId;

  return {
    id: record.id,
    currency: 'usd',
    values: record.values,
    amounts: record.amounts,
    units: sum(record.lines.map((line) => line.quantity)),
    createdAt: view.createdAt,
    capturedAt: captured ? only('payment_captured') : undefined,
    abandoned: record.expectedStatus === 'cancelled' && record.cancelReason === 'payment_expired',
    failedPayment: paymentMethods[record.plan].includes('pm_card_chargeDeclined'),
    screening:
      screenings[0] === undefined
        ? undefined
        : {
            at: screenings[0],
            approved:
              ['pay', 'decline_then_pay', 'dispute'].includes(record.plan) || record.decision === 'approve',
            reviewed,
            rejected: record.plan === 'reject' || record.decision === 'reject',
          },
    refunds: refunds.map((refund) => ({ at: only('refund', `${refund.id}:`), amount: refund.amount })),
    disputes:
      disputeId === undefined
        ? []
        : [
            {
              openedAt: only('dispute_opened', `${disputeId}:`),
              amount: record.amounts.total,
              lostAt: record.disputeLost ? only('dispute_closed', `${disputeId}: lost`) : undefined,
            },
          ],
    shipments: record.shipments.map((shipment) => ({
      id: shipment.id,
      createdAt: shipment.createdAt,
      deliveredAt: shipment.events.find((event) => event.status === 'delivered')?.occurredAt,
      exceptionsAt: shipment.events
        .filter((event) => event.status === 'exception' || event.status === 'returned')
        .map((event) => event.occurredAt),
    })),
  };
}
