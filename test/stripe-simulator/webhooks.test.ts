import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { SIMULATED_EVENT_TYPES } from '../../bin/local/stripe-simulator/events.ts';
import type { StripeSimulator } from '../../bin/local/stripe-simulator/index.ts';
import {
  allEvents,
  authorisedPayment,
  latestCharge,
  sdkFor,
  startSimulatorWithClient,
  WEBHOOK_SECRET,
  WebhookReceiver,
} from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(status?: (attempt: number) => number, retryDelaysMs: readonly number[] = [1, 1]) {
  const receiver = await WebhookReceiver.start(status);
  cleanups.push(() => receiver.close());
  const { simulator, stripe } = await startSimulatorWithClient({
    webhookUrl: receiver.url,
    webhookRetryDelaysMs: retryDelaysMs,
  });
  cleanups.push(() => simulator.close());
  return { receiver, simulator, stripe };
}

/** Drives the simulator through every kind of event it emits. */
async function everyKindOfEvent(simulator: StripeSimulator, stripe: Stripe): Promise<void> {
  const declined = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
  await stripe.paymentIntents
    .confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' })
    .catch(() => undefined);
  await stripe.paymentIntents.cancel(declined.id);

  const captured = await stripe.paymentIntents.capture(
    (await authorisedPayment(stripe, 'pm_card_createDispute')).id,
  );
  const [dispute] = (await stripe.disputes.list({ payment_intent: captured.id })).data;
  if (dispute === undefined) throw new Error('no dispute');
  await simulator.closeDispute(dispute.id, 'lost');

  const paid = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
  await stripe.refunds.create({ payment_intent: paid.id, amount: 100 });
  await simulator.createEarlyFraudWarning((await latestCharge(stripe, paid)).id, true);
}

describe('webhook delivery', () => {
  it('delivers every event once, signed so that stripe.webhooks.constructEvent accepts it', async () => {
    const { receiver, simulator, stripe } = await setUp();
    await everyKindOfEvent(simulator, stripe);
    await simulator.webhooksIdle();

    const events = await allEvents(stripe);
    expect(new Set(events.map((event) => event.type))).toEqual(new Set(SIMULATED_EVENT_TYPES));
    expect([...receiver.eventIds()].sort()).toEqual(events.map((event) => event.id).sort());

    for (const delivery of receiver.received) {
      const event = stripe.webhooks.constructEvent(delivery.rawBody, delivery.signature, WEBHOOK_SECRET);
      const stored = events.find((candidate) => candidate.id === event.id);
      expect(event).toEqual({ ...stored, pending_webhooks: 1 });
      expect(() =>
        stripe.webhooks.constructEvent(delivery.rawBody, delivery.signature, 'whsec_other'),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    }
    // Once delivered, an event has no pending webhook any more, as on Stripe.
    expect(events.every((event) => event.pending_webhooks === 0)).toBe(true);
  });

  it('holds back the events that name an object until released, as a late delivery', async () => {
    const { receiver, simulator, stripe } = await setUp();
    const paid = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
    const other = await stripe.paymentIntents.create({ amount: 700, currency: 'usd' });
    await simulator.webhooksIdle();
    const deliveredBefore = receiver.received.length;

    simulator.holdWebhooks(paid.id);
    await stripe.refunds.create({ payment_intent: paid.id, amount: 100 });
    await stripe.paymentIntents.cancel(other.id);
    await simulator.webhooksIdle();
    const typeOf = (delivery: { rawBody: string }) => (JSON.parse(delivery.rawBody) as { type: string }).type;
    const held = receiver.received.slice(deliveredBefore).map(typeOf);
    expect(held).toEqual(['payment_intent.canceled']);

    expect(simulator.releaseWebhooks()).toBe(2);
    await simulator.webhooksIdle();
    const released = receiver.received.slice(deliveredBefore + 1).map(typeOf);
    expect(released.sort()).toEqual(['charge.refunded', 'refund.created']);
    expect(simulator.releaseWebhooks()).toBe(0);
  });

  it('redelivers an event with the same id and a fresh signature', async () => {
    const { receiver, simulator, stripe } = await setUp();
    const created = await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    await simulator.webhooksIdle();
    const [original] = receiver.received;
    if (original === undefined) throw new Error('nothing delivered');
    const eventId = receiver.eventIds()[0] ?? '';

    await simulator.redeliver(eventId);
    expect(receiver.eventIds()).toEqual([eventId, eventId]);
    const again = receiver.received[1];
    if (again === undefined) throw new Error('not redelivered');
    const event = stripe.webhooks.constructEvent(again.rawBody, again.signature, WEBHOOK_SECRET);
    expect(event.type).toBe('payment_intent.created');
    expect(event.data.object).toMatchObject({ id: created.id });

    await expect(simulator.redeliver('evt_missing')).rejects.toThrow(/No such event/);
  });

  it('retries a failed delivery a few times, then gives up quietly', async () => {
    const { receiver, simulator, stripe } = await setUp(() => 404, [1, 1, 1]);
    await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    await simulator.webhooksIdle();

    const [event] = await allEvents(stripe);
    expect(receiver.eventIds()).toEqual([event?.id, event?.id, event?.id, event?.id]);
    expect(event?.pending_webhooks).toBe(1);
    await expect(simulator.redeliver(event?.id ?? '')).rejects.toThrow(/answered 404/);
  });

  it('delivers after a transient failure', async () => {
    const { receiver, simulator, stripe } = await setUp((attempt) => (attempt === 1 ? 500 : 200));
    await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    await simulator.webhooksIdle();
    expect(receiver.received).toHaveLength(2);
    expect((await allEvents(stripe))[0]?.pending_webhooks).toBe(0);
  });

  it('answers the API without waiting for the webhook endpoint', async () => {
    const hanging = createServer(() => {
      // Never answers: a delivery stays in flight until the simulator closes.
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    });
    const { simulator, stripe } = await startSimulatorWithClient({
      webhookUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`,
    });

    const created = await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    expect(created.status).toBe('requires_payment_method');
    let idle = false;
    const settled = simulator.webhooksIdle().then(() => {
      idle = true;
    });
    await stripe.paymentIntents.retrieve(created.id);
    expect(idle).toBe(false);

    await simulator.close();
    await settled;
    expect(idle).toBe(true);
  });

  it('gives up quietly when nobody listens at the webhook URL', async () => {
    const { simulator: probe } = await startSimulatorWithClient();
    const deadUrl = `${probe.url}/v1/webhooks/stripe`;
    await probe.close();

    const { simulator, stripe } = await startSimulatorWithClient({
      webhookUrl: deadUrl,
      webhookRetryDelaysMs: [1],
    });
    cleanups.push(() => simulator.close());
    await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    await simulator.webhooksIdle();
    expect((await allEvents(stripe)).map((event) => event.pending_webhooks)).toEqual([1]);
  });

  it('sends nothing and marks nothing pending without a webhookUrl', async () => {
    const { simulator, stripe } = await startSimulatorWithClient();
    cleanups.push(() => simulator.close());
    await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    expect((await allEvents(sdkFor(simulator))).map((event) => event.pending_webhooks)).toEqual([0]);
    await expect(simulator.redeliver((await allEvents(stripe))[0]?.id ?? '')).rejects.toThrow(
      /no webhookUrl/,
    );
  });
});
