import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  newCharge,
  newDispute,
  newEarlyFraudWarning,
  newPaymentIntent,
  newRefund,
} from '../../bin/local/stripe-simulator/objects.ts';
import {
  allEvents,
  authorisedPayment,
  eventsOfType,
  latestCharge,
  rawCall,
  type SimulatorWithClient,
  startSimulatorWithClient,
} from './helpers.ts';

let context: SimulatorWithClient;
let stripe: Stripe;

beforeAll(async () => {
  context = await startSimulatorWithClient();
  stripe = context.stripe;
});
afterAll(() => context.simulator.close());

describe('objects are the SDK types', () => {
  it('builds every object as the type the SDK declares for the pinned API version', () => {
    // Checked by the compiler (`tsc --noEmit`): the builders return exactly the SDK's types, so
    // each field the simulator sets is one the pinned API version has, with its type.
    expectTypeOf(newPaymentIntent).returns.toEqualTypeOf<Stripe.PaymentIntent>();
    expectTypeOf(newCharge).returns.toEqualTypeOf<Stripe.Charge>();
    expectTypeOf(newRefund).returns.toEqualTypeOf<Stripe.Refund>();
    expectTypeOf(newDispute).returns.toEqualTypeOf<Stripe.Dispute>();
    expectTypeOf(newEarlyFraudWarning).returns.toEqualTypeOf<Stripe.Radar.EarlyFraudWarning>();
    expect(typeof newPaymentIntent).toBe('function');
  });
});

describe('objects round-trip through the SDK', () => {
  it('retrieves each PaymentIntent state exactly as the mutation answered it', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      capture_method: 'manual',
      metadata: { orderId: 'ord_rt', 'note with spaces & symbols=': 'ünïcode & = ?' },
      allowed_payment_method_types: ['card', 'link'],
      receipt_email: 'shopper@example.com',
    });
    expect(created.metadata).toEqual({ orderId: 'ord_rt', 'note with spaces & symbols=': 'ünïcode & = ?' });
    expect(created.allowed_payment_method_types).toEqual(['card', 'link']);
    expect(created.payment_method_types).toEqual(['card']);
    expect(created.automatic_payment_methods).toBeNull();
    expect(await stripe.paymentIntents.retrieve(created.id)).toEqual(created);

    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(await stripe.paymentIntents.retrieve(created.id)).toEqual(confirmed);

    const captured = await stripe.paymentIntents.capture(created.id);
    expect(await stripe.paymentIntents.retrieve(created.id)).toEqual(captured);

    const events = (await allEvents(stripe)).filter(
      (event) => 'id' in event.data.object && event.data.object.id === created.id,
    );
    expect(events.map((event) => event.type)).toEqual([
      'payment_intent.created',
      'payment_intent.amount_capturable_updated',
      'payment_intent.succeeded',
    ]);
    expect(events.map((event) => event.data.object)).toEqual([created, confirmed, captured]);
  });

  it('keeps each event data.object as the snapshot of its moment', async () => {
    const captured = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
    const chargeId = (await latestCharge(stripe, captured)).id;
    const atCapture = await stripe.charges.retrieve(chargeId);
    const refund = await stripe.refunds.create({ charge: chargeId, amount: 250 });
    const afterRefund = await stripe.charges.retrieve(chargeId);

    const events = await allEvents(stripe);
    const ofCharge = (type: 'charge.captured' | 'charge.refunded') =>
      eventsOfType(events, type)
        .filter((event) => event.data.object.id === chargeId)
        .map((event) => event.data.object);
    expect(ofCharge('charge.captured')).toEqual([atCapture]);
    expect(ofCharge('charge.refunded')).toEqual([afterRefund]);
    expect(eventsOfType(events, 'refund.created').map((event) => event.data.object)).toContainEqual(refund);
  });

  it('retrieves events by id, lists them newest first, filtered and paginated', async () => {
    await authorisedPayment(stripe);
    const newest = await stripe.events.list({ limit: 3 });
    expect(newest.has_more).toBe(true);
    expect(newest.data).toHaveLength(3);
    const [first] = newest.data;
    if (first === undefined) throw new Error('no event');
    expect(await stripe.events.retrieve(first.id)).toEqual(first);
    expect(first).toMatchObject({ object: 'event', livemode: false, api_version: '2026-10-28.endive' });

    const created = newest.data.map((event) => event.created);
    expect([...created].sort((a, b) => b - a)).toEqual(created);

    const next = await stripe.events.list({ limit: 3, starting_after: newest.data[2]?.id ?? '' });
    const seen = new Set(newest.data.map((event) => event.id));
    expect(next.data.some((event) => seen.has(event.id))).toBe(false);

    const charges = await stripe.events.list({ type: 'charge.*', limit: 100 });
    expect(charges.data.length).toBeGreaterThan(0);
    expect(charges.data.every((event) => event.type.startsWith('charge.'))).toBe(true);
    const succeeded = await stripe.events.list({ type: 'charge.succeeded', limit: 100 });
    expect(succeeded.data.every((event) => event.type === 'charge.succeeded')).toBe(true);
  });

  it('expands latest_charge, and charge on refunds lists', async () => {
    const captured = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
    const charge = await latestCharge(stripe, captured);
    const expanded = await stripe.paymentIntents.retrieve(captured.id, { expand: ['latest_charge'] });
    expect(expanded.latest_charge).toEqual(charge);

    await stripe.refunds.create({ payment_intent: captured.id, amount: 100 });
    const refunds = await stripe.refunds.list({ payment_intent: captured.id, expand: ['data.charge'] });
    expect(refunds.data[0]?.charge).toEqual(await stripe.charges.retrieve(charge.id));

    const notExpandable = rawCall(
      context.simulator,
      'GET',
      `/v1/payment_intents/${captured.id}?expand[]=metadata`,
      {
        headers: { Authorization: 'Bearer sk_test_x' },
      },
    );
    expect(await notExpandable).toMatchObject({ status: 400 });
  });

  it('shows Stripe.js the publishable view of a PaymentIntent, with latest_charge', async () => {
    const authorised = await authorisedPayment(stripe);
    const secret = authorised.client_secret ?? '';
    const seenByBrowser = await rawCall(
      context.simulator,
      'GET',
      `/v1/payment_intents/${authorised.id}?client_secret=${encodeURIComponent(secret)}`,
      { headers: { Authorization: 'Bearer pk_test_shop' } },
    );
    expect(seenByBrowser.status).toBe(200);
    const view = seenByBrowser.json as Record<string, unknown>;
    expect(view).toMatchObject({
      id: authorised.id,
      status: 'requires_capture',
      latest_charge: authorised.latest_charge,
    });
    expect(view).not.toHaveProperty('metadata');
    for (const [field, value] of Object.entries(view)) {
      expect(authorised[field as keyof Stripe.PaymentIntent]).toEqual(value);
    }
  });
});
