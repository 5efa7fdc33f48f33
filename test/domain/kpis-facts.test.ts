/**
 * KPI facts: what each change of an order brings, their keys, lateness, and the already recorded
 * facts whose contribution a change revises (their days are rolled up again).
 */
import { describe, expect, it } from 'vitest';
import {
  type Fact,
  factKey,
  factsBetween,
  factsOf,
  isCurrentFact,
  isLate,
  revisedFactsBetween,
  staleHoursBetween,
  staleMarkerKey,
} from '../../functions/domain/kpis.ts';
import { minutesAfter, Story } from './kpis-fixtures.ts';

const created = '2026-11-28T10:00:00.000Z';
const at = (minutes: number) => minutesAfter(created, minutes);

/** The facts each step of `steps` brought, one list per step. */
function stepFacts(story: Story, steps: readonly ((story: Story) => unknown)[]): Fact[][] {
  return steps.map((step) => {
    const before = story.facts.length;
    step(story);
    return story.facts.slice(before);
  });
}

function paidStory(): Story {
  return new Story({ id: 'ord_1', at: created, lines: [[2, 1500]] })
    .authorize(at(1))
    .decide('approve', 'rules', at(2))
    .capture(at(3));
}

describe('factsBetween', () => {
  it('records the checkout when the order is created', () => {
    const story = new Story({ id: 'ord_1', at: '2026-11-28T10:00:00Z' });
    expect(story.facts).toEqual([{ type: 'checkout_created', at: created, orderId: 'ord_1' }]);
  });

  it('records each payment fact once, when it first appears', () => {
    const story = new Story({ id: 'ord_1', at: created, lines: [[2, 1500]] });
    const steps = stepFacts(story, [
      (s) => s.failAttempt(at(1), 'ch_a'),
      (s) => s.failAttempt(at(1), 'ch_a'),
      (s) => s.authorize(at(2)),
      (s) => s.decide('review', 'rules', at(3)),
      (s) => s.decide('approve', 'reviewer', at(4)),
      (s) => s.capture(at(5)),
      (s) => s.capture(at(5)),
      (s) => s.refund({ id: 're_1', amount: 1000, status: 'pending', created: at(6) }),
      (s) => s.refund({ id: 're_1', amount: 1000, status: 'succeeded', created: at(6) }, at(7)),
      (s) => s.dispute({ id: 'dp_1', amount: 2000, status: 'needs_response', created: at(8) }, at(8)),
      (s) => s.dispute({ id: 'dp_1', amount: 2000, status: 'lost', created: at(8) }, at(9)),
    ]);
    expect(steps).toEqual([
      [{ type: 'payment_failed', at: at(1), orderId: 'ord_1', subId: 'ch_a' }],
      [],
      [],
      [{ type: 'fraud_screened', at: at(3), orderId: 'ord_1' }],
      [],
      [{ type: 'payment_captured', at: at(5), orderId: 'ord_1' }],
      [],
      [{ type: 'refund_created', at: at(6), orderId: 'ord_1', subId: 're_1' }],
      [],
      [{ type: 'dispute_opened', at: at(8), orderId: 'ord_1', subId: 'dp_1' }],
      [{ type: 'dispute_lost', at: at(9), orderId: 'ord_1', subId: 'dp_1' }],
    ]);
  });

  it('records shipments, their first delivery and each exception or return', () => {
    const story = paidStory();
    let shipmentId = '';
    const steps = stepFacts(story, [
      (s) => {
        shipmentId = s.ship(at(60), [{ sku: 'SKU0', quantity: 1 }]);
      },
      (s) => s.track(shipmentId, 'in_transit', at(90)),
      (s) => s.track(shipmentId, 'exception', at(120), 'ev_x'),
      (s) => s.track(shipmentId, 'exception', at(120), 'ev_x'),
      (s) => s.track(shipmentId, 'returned', at(150), 'ev_r'),
      (s) => s.track(shipmentId, 'delivered', at(200)),
      (s) => s.track(shipmentId, 'delivered', at(260)),
    ]);
    expect(steps).toEqual([
      [{ type: 'shipment_created', at: at(60), orderId: 'ord_1', subId: 'ord_1_s1' }],
      [],
      [{ type: 'shipment_exception', at: at(120), orderId: 'ord_1', subId: 'ord_1_s1#ev_x' }],
      [],
      [{ type: 'shipment_exception', at: at(150), orderId: 'ord_1', subId: 'ord_1_s1#ev_r' }],
      [{ type: 'shipment_delivered', at: at(200), orderId: 'ord_1', subId: 'ord_1_s1' }],
      [],
    ]);
  });

  it('brings a fact again when its time moves earlier, and the old one is no longer current', () => {
    const story = paidStory();
    const shipmentId = story.ship(at(60));
    story.track(shipmentId, 'delivered', at(300));
    const before = story.order;
    story.track(shipmentId, 'delivered', at(240));
    const delivered = (minutes: number): Fact => ({
      type: 'shipment_delivered',
      at: at(minutes),
      orderId: 'ord_1',
      subId: shipmentId,
    });
    expect(factsBetween(before, story.order)).toEqual([delivered(240)]);
    expect(revisedFactsBetween(before, story.order)).toEqual([delivered(300)]);
    expect(isCurrentFact(story.order, delivered(300))).toBe(false);
    expect(isCurrentFact(story.order, delivered(240))).toBe(true);
  });

  it('moves a lost dispute to its earliest observation', () => {
    const story = paidStory();
    const dispute = { id: 'dp_1', amount: 3000, created: at(10) } as const;
    story.dispute({ ...dispute, status: 'lost' }, at(100));
    const before = story.order;
    story.dispute({ ...dispute, status: 'lost' }, at(90));
    expect(factsBetween(before, story.order)).toEqual([
      { type: 'dispute_lost', at: at(90), orderId: 'ord_1', subId: 'dp_1' },
    ]);
  });

  it('brings nothing for an unchanged order, and compares one order only', () => {
    const story = paidStory();
    story.ship(at(60));
    expect(factsBetween(story.order, story.order)).toEqual([]);
    expect(revisedFactsBetween(story.order, story.order)).toEqual([]);
    const other = new Story({ id: 'ord_2', at: created }).order;
    expect(() => factsBetween(other, story.order)).toThrow(/one order/);
  });

  it('lists the order’s facts in key order, whatever the order of the changes', () => {
    const story = paidStory();
    story.refund({ id: 're_2', amount: 100, status: 'succeeded', created: at(30) });
    story.refund({ id: 're_1', amount: 100, status: 'succeeded', created: at(20) });
    const keys = factsOf(story.order).map((fact) => factKey('str_1', fact).sk);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(story.facts.map((fact) => factKey('str_1', fact).sk))).toEqual(new Set(keys));
  });
});

describe('keys and lateness', () => {
  const refund: Fact = {
    type: 'refund_created',
    at: '2026-11-28T23:59:59.999Z',
    orderId: 'ord_1',
    subId: 're_1',
  };

  it('keys a fact by its UTC hour and time', () => {
    expect(factKey('str_1', refund)).toEqual({
      pk: 'STORE#str_1#FACTS#2026-11-28T23',
      sk: '2026-11-28T23:59:59.999Z#refund_created#ord_1#re_1',
    });
    expect(
      factKey('str_1', { type: 'payment_captured', at: '2026-11-28T10:00:00Z', orderId: 'ord_1' }),
    ).toEqual({
      pk: 'STORE#str_1#FACTS#2026-11-28T10',
      sk: '2026-11-28T10:00:00.000Z#payment_captured#ord_1',
    });
    expect(staleMarkerKey('str_1', refund)).toEqual({ pk: 'STORE#str_1#STALE', sk: '2026-11-28T23' });
  });

  it('is late more than an hour after it happened', () => {
    const happened = Date.parse(refund.at);
    expect(isLate(refund, new Date(happened + 3_600_000))).toBe(false);
    expect(isLate(refund, new Date(happened + 3_600_001))).toBe(true);
    expect(isLate(refund, new Date(happened - 60_000))).toBe(false);
  });
});

describe('staleHoursBetween', () => {
  it('marks the hour of a late refund, not of a timely one', () => {
    const story = paidStory();
    const before = story.order;
    story.refund({ id: 're_1', amount: 500, status: 'succeeded', created: at(30) });
    expect(staleHoursBetween(before, story.order, new Date(at(60)))).toEqual([]);
    expect(staleHoursBetween(before, story.order, new Date(at(2 * 24 * 60)))).toEqual(['2026-11-28T10']);
  });

  it('marks the hour of a refund that failed after its day was rolled up', () => {
    const story = paidStory();
    story.refund({ id: 're_1', amount: 500, status: 'pending', created: at(30) });
    const before = story.order;
    story.refund({ id: 're_1', amount: 500, status: 'failed', created: at(30) }, at(24 * 60));
    expect(factsBetween(before, story.order)).toEqual([]);
    expect(revisedFactsBetween(before, story.order)).toEqual([
      { type: 'refund_created', at: at(30), orderId: 'ord_1', subId: 're_1' },
    ]);
    expect(staleHoursBetween(before, story.order, new Date(at(24 * 60)))).toEqual(['2026-11-28T10']);
  });

  it('marks the checkout’s hour when its cohort order is captured late, and both hours of a moved delivery', () => {
    const story = new Story({ id: 'ord_1', at: created }).authorize(at(1)).decide('review', 'rules', at(2));
    const held = story.order;
    story.decide('approve', 'reviewer', at(26 * 60)).capture(at(26 * 60 + 1));
    // The checkout's cohort and the screening's outcome changed; the capture is new and timely.
    expect(revisedFactsBetween(held, story.order).map((fact) => fact.type)).toEqual([
      'checkout_created',
      'fraud_screened',
    ]);
    expect(staleHoursBetween(held, story.order, new Date(at(26 * 60 + 2)))).toEqual(['2026-11-28T10']);

    const shipmentId = story.ship(at(27 * 60));
    story.track(shipmentId, 'delivered', at(50 * 60));
    const delivered = story.order;
    story.track(shipmentId, 'delivered', at(40 * 60));
    expect(staleHoursBetween(delivered, story.order, new Date(at(53 * 60)))).toEqual([
      '2026-11-30T02',
      '2026-11-30T12',
    ]);
  });
});
