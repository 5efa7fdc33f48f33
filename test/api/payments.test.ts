/**
 * Contract section 6 over HTTP on the running local stack: the Stripe simulator signs and
 * delivers its events to `POST /v1/webhooks/stripe`, which queues them for the payment events
 * consumer. Outcomes are polled with a deadline, never waited for with a fixed sleep.
 */
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { describe, expect, inject, it } from 'vitest';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { call, checkoutBody, createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import { eventually } from '../support/orders-flow.ts';
import { simulatorStripe } from '../support/stripe.ts';

type Order = {
  id: string;
  status: string;
  paymentStatus: string;
  fraudStatus: string;
  timeline: { type: string; detail?: string }[];
  payment: { paymentIntentId: string };
};

const webhookPath = '/v1/webhooks/stripe';
const stripe = simulatorStripe();

async function placeOrder(store: TestStore, quantity = 1) {
  const response = await store.call<Order>('POST', '/v1/checkouts', {
    body: checkoutBody([{ sku: 'A', quantity }]),
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return response.body;
}

/** Polls `read` until `done` holds or the deadline passes; returns the last value read. */
const getOrder = async (store: TestStore, id: string) =>
  (await store.call<Order>('GET', `/v1/orders/${id}`)).body;

const stock = async (store: TestStore) => (await store.call('GET', '/v1/products/A')).body.stock;

const count = (order: Order, type: string) => order.timeline.filter((entry) => entry.type === type).length;

/** Until the payment events queue holds nothing, in flight or waiting: every delivery so far is processed. */
async function paymentEventsDrained(): Promise<boolean> {
  const environment = inject('stackEnvironment');
  const client = new SQSClient({
    endpoint: environment.SQS_ENDPOINT,
    region: environment.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = environment[queueUrlEnvVar('payment-events')];
  const empty = async () => {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible)
    );
  };
  const remaining = await eventually(empty, (left) => left === 0, 30_000);
  client.destroy();
  return remaining === 0;
}

async function eventOf(paymentIntentId: string, type: string): Promise<Stripe.Event> {
  // Pages through every event of the type: the whole suite shares the simulator.
  for await (const event of stripe.events.list({ type, limit: 100 })) {
    if ((event.data.object as { id?: string }).id === paymentIntentId) return event;
  }
  throw new Error(`no ${type} event for ${paymentIntentId}`);
}

/** Redelivers an event; like Stripe, tries again (up to 3 times) when the endpoint did not take it. */
async function redeliver(eventId: string): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 3 && status !== 200; attempt++) {
    const response = await fetch(`${inject('stripeUrl')}/_simulator/events/${eventId}/redeliver`, {
      method: 'POST',
    });
    status = response.status;
  }
  return status;
}

function signed(payload: string, options: { secret?: string; timestamp?: number } = {}) {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? inject('stripeWebhookSecret'),
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
}

function stripeEvent(type: string, object: Record<string, unknown>, livemode = false) {
  return JSON.stringify({
    id: `evt_test_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2025-10-29.clover',
    created: Math.floor(Date.now() / 1000),
    livemode,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
}

const postWebhook = (rawBody: string, headers: Record<string, string>) =>
  call('POST', webhookPath, { rawBody, headers: { 'content-type': 'application/json', ...headers } });

describe('payments: Stripe webhooks through the payment events queue (contract section 6)', () => {
  it('pm_card_visa: the order is authorised, screened and captured; its stock stays taken', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1500, stock: 10 });
    const order = await placeOrder(store, 2);
    await stripe.paymentIntents.confirm(order.payment.paymentIntentId, { payment_method: 'pm_card_visa' });
    const paid = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(paid).toMatchObject({ status: 'paid', paymentStatus: 'captured', fraudStatus: 'approved' });
    // The state machine's bookkeeping stays inside: the store sees the contract's fields.
    expect(paid).not.toHaveProperty('paymentFacts');
    expect(count(paid, 'payment_authorized')).toBe(1);
    expect(await stock(store)).toBe(8);
  });

  it('a declined card leaves the order pending_payment with a payment_failed entry; a retry is paid', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1500, stock: 10 });
    const order = await placeOrder(store);
    const intentId = order.payment.paymentIntentId;
    await expect(
      stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_chargeDeclined' }),
    ).rejects.toThrow();
    const failed = await eventually(
      () => getOrder(store, order.id),
      (current) => count(current, 'payment_failed') > 0,
    );
    expect(failed).toMatchObject({ status: 'pending_payment', paymentStatus: 'requires_payment' });
    expect(count(failed, 'payment_failed')).toBe(1);

    await stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa' });
    const paid = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(paid.status).toBe('paid');
    expect(count(paid, 'payment_failed')).toBe(1);
    expect(await stock(store)).toBe(9);
  });

  it('answers 400 invalid_signature to forged, stale, tampered and unsigned deliveries', async () => {
    const payload = stripeEvent('payment_intent.canceled', { id: 'pi_forged', object: 'payment_intent' });
    const header = signed(payload);
    const stale = signed(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const forged = signed(payload, { secret: 'whsec_not_ours' });
    const attempts = [
      postWebhook(payload, { 'stripe-signature': forged }),
      postWebhook(payload, { 'stripe-signature': stale }),
      postWebhook(payload.replace('pi_forged', 'pi_forgee'), { 'stripe-signature': header }),
      postWebhook(payload, {}),
      postWebhook(payload, { 'stripe-signature': 'garbage' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(problem(response)).toMatchObject({
        status: 400,
        code: 'invalid_signature',
        contentType: 'application/problem+json',
      });
    }
    const good = await postWebhook(payload, { 'stripe-signature': header });
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ received: true });
  });

  it('acknowledges and ignores foreign PaymentIntents and the other livemode', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1500, stock: 10 });
    const order = await placeOrder(store);
    const intentId = order.payment.paymentIntentId;
    const foreign = stripeEvent('payment_intent.canceled', {
      id: `pi_foreign_${randomUUID().slice(0, 8)}`,
      object: 'payment_intent',
      amount: 1500,
      currency: 'usd',
      metadata: {},
      cancellation_reason: 'requested_by_customer',
    });
    const otherMode = stripeEvent(
      'payment_intent.canceled',
      {
        id: intentId,
        object: 'payment_intent',
        amount: 1500,
        currency: 'usd',
        metadata: {},
        cancellation_reason: 'requested_by_customer',
      },
      true,
    );
    for (const payload of [foreign, otherMode]) {
      const response = await postWebhook(payload, { 'stripe-signature': signed(payload) });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ received: true });
    }
    expect(await paymentEventsDrained()).toBe(true);
    const after = await getOrder(store, order.id);
    expect(after).toMatchObject({ status: 'pending_payment', paymentStatus: 'requires_payment' });
    expect(count(after, 'payment_canceled')).toBe(0);
    expect(await stock(store)).toBe(9);
  });

  it('one event delivered 30 times, 10 at once, has one effect', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1500, stock: 10 });
    const order = await placeOrder(store, 3);
    const intentId = order.payment.paymentIntentId;
    await expect(
      stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_chargeDeclined' }),
    ).rejects.toThrow();
    await stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa' });
    const authorised = await eventOf(intentId, 'payment_intent.amount_capturable_updated');
    const declined = await eventOf(intentId, 'payment_intent.payment_failed');
    for (let round = 0; round < 3; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, index) => redeliver(index % 2 === 0 ? authorised.id : declined.id)),
      );
      expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
    }
    expect(await paymentEventsDrained()).toBe(true);
    // Screening approves the authorisation once; the capture that follows is the one effect.
    const after = await eventually(
      () => getOrder(store, order.id),
      (current) => current.paymentStatus === 'captured',
    );
    expect(after).toMatchObject({ status: 'paid', paymentStatus: 'captured', fraudStatus: 'approved' });
    expect(count(after, 'payment_authorized')).toBe(1);
    expect(count(after, 'payment_captured')).toBe(1);
    expect(count(after, 'payment_failed')).toBe(1);
    expect(await stock(store)).toBe(7);
  });
});
