/**
 * The KPI items an order's write carries (functions/adapters/kpi-writes.ts): facts at their keys,
 * stale markers for hours written late, the abandoned-checkout lead with only the customer data
 * the sales team may use, and never one key twice in a transaction.
 */
import { describe, expect, it } from 'vitest';
import {
  assertTransactionSize,
  factTtl,
  kpiWrites,
  maxTransactionActions,
  newOrderKpiWrites,
  type TransactItem,
} from '../../functions/adapters/kpi-writes.ts';
import { factKey } from '../../functions/domain/kpis.ts';
import type { Order } from '../../functions/domain/order.ts';
import { minutesAfter, Story, storeId } from '../domain/kpis-fixtures.ts';

const table = 'sales-ops-main';
const created = '2026-11-28T10:00:00.000Z';
const at = (minutes: number) => minutesAfter(created, minutes);

/** The items put, in order; fails the test on any action that is not an unconditional Put. */
function puts(actions: readonly TransactItem[]): Record<string, unknown>[] {
  return actions.map((action) => {
    expect(Object.keys(action)).toEqual(['Put']);
    expect(action.Put?.TableName).toBe(table);
    expect(action.Put?.ConditionExpression).toBeUndefined();
    return action.Put?.Item ?? {};
  });
}

/** The items that `change` brings to the story's order, written at `now`. */
function writesOf(story: Story, change: (story: Story) => unknown, now: string): Record<string, unknown>[] {
  const before = story.order;
  change(story);
  return puts(kpiWrites(table, storeId, before, story.order, new Date(now)));
}

function approvedStory(): Story {
  return new Story({ id: 'ord_1', at: created, lines: [[2, 1500]] })
    .authorize(at(1))
    .decide('approve', 'rules', at(2));
}

describe('kpiWrites', () => {
  it('puts the checkout fact at its key, with a TTL 13 months after it happened', () => {
    const order = new Story({ id: 'ord_1', at: created }).order;
    const items = puts(kpiWrites(table, storeId, undefined, order, new Date(at(0))));
    const fact = { type: 'checkout_created', at: created, orderId: 'ord_1' } as const;
    expect(items).toEqual([
      {
        ...factKey(storeId, fact),
        entity: 'fact',
        ...fact,
        ttl: Date.parse('2027-12-28T10:00:00.000Z') / 1000,
      },
    ]);
    expect(items[0]).toMatchObject({ pk: 'STORE#str_kpi#FACTS#2026-11-28T10' });
    // The checkout's own, lighter path writes exactly the same.
    expect(puts(newOrderKpiWrites(table, storeId, order))).toEqual(items);
  });

  it('puts the capture fact when the payment is captured, and no marker when written on time', () => {
    const story = approvedStory();
    const items = writesOf(story, (s) => s.capture(at(3)), at(3));
    expect(items).toEqual([
      expect.objectContaining({
        ...factKey(storeId, { type: 'payment_captured', at: at(3), orderId: 'ord_1' }),
        entity: 'fact',
        type: 'payment_captured',
        at: at(3),
        orderId: 'ord_1',
      }),
    ]);
    expect(items[0]).not.toHaveProperty('subId');
  });

  it("marks a refund's hour stale when the refund is written two hours after it happened", () => {
    const story = approvedStory().capture(at(3));
    const refundedAt = '2026-11-28T10:20:00.000Z';
    const writtenAt = '2026-11-28T12:20:00.000Z';
    const items = writesOf(
      story,
      (s) => s.refund({ id: 're_1', amount: 1000, status: 'succeeded', created: refundedAt }, writtenAt),
      writtenAt,
    );
    expect(items).toEqual([
      expect.objectContaining({
        ...factKey(storeId, { type: 'refund_created', at: refundedAt, orderId: 'ord_1', subId: 're_1' }),
        entity: 'fact',
        subId: 're_1',
      }),
      { pk: 'STORE#str_kpi#STALE', sk: '2026-11-28T10', entity: 'staleMarker', markedAt: writtenAt },
    ]);
  });

  it('marks nothing for the same refund written within the hour', () => {
    const story = approvedStory().capture(at(3));
    const items = writesOf(
      story,
      (s) => s.refund({ id: 're_1', amount: 1000, status: 'succeeded', created: at(20) }),
      at(70),
    );
    expect(items.map((item) => item.entity)).toEqual(['fact']);
  });

  describe('the abandoned-checkout lead', () => {
    const customer = {
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      phone: '+44 20 7946 0000',
      type: 'b2b',
      companyName: 'Analytical Engines Ltd',
      taxId: 'GB123456789',
    } as const;

    function abandoned(marketingConsent: boolean): { items: Record<string, unknown>[]; order: Order } {
      const story = new Story({
        id: 'ord_1',
        at: created,
        lines: [[2, 1500]],
        attribution: { channel: 'outbound', salesRepId: 'rep_7', territory: 'EMEA' },
      });
      story.order = { ...story.order, customer: { ...customer, marketingConsent } };
      story.failAttempt(at(5), 'ch_declined');
      const items = writesOf(story, (s) => s.cancel('payment_expired', at(31)), at(31));
      return { items, order: story.order };
    }

    it('is put when the reservation expires, with email and phone given marketing consent', () => {
      const { items, order } = abandoned(true);
      expect(items).toEqual([
        {
          pk: 'STORE#str_kpi#LEADS',
          sk: `${created}#ord_1`,
          entity: 'lead',
          orderId: 'ord_1',
          customer: {
            type: 'b2b',
            name: 'Ada Lovelace',
            companyName: 'Analytical Engines Ltd',
            marketingConsent: true,
            email: 'ada@example.com',
            phone: '+44 20 7946 0000',
          },
          total: 3000,
          currency: 'usd',
          lines: order.lines,
          attribution: { channel: 'outbound', salesRepId: 'rep_7', territory: 'EMEA' },
          createdAt: created,
          paymentFailures: 1,
        },
      ]);
    });

    it('leaves out email and phone without marketing consent, and the tax id always', () => {
      const { items } = abandoned(false);
      expect(items).toHaveLength(1);
      expect(items[0]?.customer).toEqual({
        type: 'b2b',
        name: 'Ada Lovelace',
        companyName: 'Analytical Engines Ltd',
        marketingConsent: false,
      });
      expect(JSON.stringify(items)).not.toContain('ada@example.com');
      expect(JSON.stringify(items)).not.toContain('7946');
      expect(JSON.stringify(items)).not.toContain('GB123456789');
    });

    it('is not put for another cancellation, nor again once the order is abandoned', () => {
      const requested = new Story({ id: 'ord_1', at: created });
      expect(writesOf(requested, (s) => s.cancel('requested', at(5)), at(5))).toEqual([]);

      const expired = new Story({ id: 'ord_2', at: created }).cancel('payment_expired', at(31));
      expect(kpiWrites(table, storeId, expired.order, expired.order, new Date(at(90)))).toEqual([]);
    });

    it("marks the cohort's hour stale when the reservation is abandoned after its day may be rolled up", () => {
      const story = new Story({ id: 'ord_1', at: created });
      const items = writesOf(story, (s) => s.cancel('payment_expired', at(31)), at(180));
      expect(items.map((item) => [item.entity, item.sk])).toEqual([
        ['staleMarker', '2026-11-28T10'],
        ['lead', `${created}#ord_1`],
      ]);
    });
  });

  it('never puts one key twice, however many facts of one hour a late write brings', () => {
    const story = approvedStory().capture(at(3));
    const shipmentId = story.ship(at(10));
    story
      .track(shipmentId, 'exception', at(20))
      .track(shipmentId, 'exception', at(25))
      .track(shipmentId, 'delivered', at(40))
      .refund({ id: 're_1', amount: 500, status: 'succeeded', created: at(45) });
    // Everything written at once, a day late (as a write of an order with no facts yet would be).
    const items = puts(kpiWrites(table, storeId, undefined, story.order, new Date(at(24 * 60))));
    const keys = items.map((item) => `${String(item.pk)} ${String(item.sk)}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(items.filter((item) => item.entity === 'fact')).toHaveLength(8);
    expect(items.filter((item) => item.entity === 'staleMarker').map((item) => item.sk)).toEqual([
      '2026-11-28T10',
    ]);
  });

  it('puts nothing when the order did not change', () => {
    const story = approvedStory().capture(at(3));
    expect(kpiWrites(table, storeId, story.order, story.order, new Date(at(600)))).toEqual([]);
  });
});

describe('factTtl', () => {
  it('is 13 months after the fact, in epoch seconds', () => {
    expect(factTtl('2026-01-15T08:30:00.000Z')).toBe(Date.parse('2027-02-15T08:30:00.000Z') / 1000);
  });
});

describe('assertTransactionSize', () => {
  it('refuses more actions than one transaction takes', () => {
    const put: TransactItem = { Put: { TableName: table, Item: { pk: 'a', sk: 'b' } } };
    expect(() => assertTransactionSize(Array(maxTransactionActions).fill(put), 'test')).not.toThrow();
    expect(() => assertTransactionSize(Array(maxTransactionActions + 1).fill(put), 'test')).toThrow(
      /101 transaction actions/,
    );
  });
});
