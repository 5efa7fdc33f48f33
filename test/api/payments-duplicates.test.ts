/**
 * At-least-once delivery at scale on the running local stack: the simulator re-delivers one real
 * `payment_intent.amount_capturable_updated` event 200 times (150 in sequential chunks, then 50
 * at once) through `POST /v1/webhooks/stripe` and the payment events queue. The receiver queues
 * every delivery; the consumer's conditional writes must leave exactly one effect: one
 * authorisation, one fraud screening, one capture at Stripe, the stock reserved once.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type Stripe from 'stripe';
import { describe, expect, inject, it } from 'vitest';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { checkoutBody, createStore, putProduct, type TestStore } from '../support/api.ts';
import { simulatorStripe, stripeRequests } from '../support/stripe.ts';

type Order = {
  id: string;
  status: string;
  paymentStatus: string;
  fraudStatus: string;
  timeline: { type: string }[];
  payment: { paymentIntentId: string };
};

const eventType = 'payment_intent.amount_capturable_updated';
const sequentialDeliveries = 150;
const chunkSize = 10;
const concurrentDeliveries = 50;
const stripe = simulatorStripe();

const getOrder = async (store: TestStore, id: string) =>
  (await store.call<Order>('GET', `/v1/orders/${id}`)).body;

async function redeliver(eventId: string): Promise<number> {
  const response = await fetch(`${inject('stripeUrl')}/_simulator/events/${eventId}/redeliver`, {
    method: 'POST',
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Messages waiting or in flight in the stack's queues: the payment events queue and whatever a
 * delivery leads to downstream (fraud screening, once it exists, before the capture).
 */
async function queuedMessages(client: SQSClient): Promise<number> {
  const environment = inject('stackEnvironment');
  const queueUrls = Object.entries(environment)
    .filter(([name]) => name.endsWith('_QUEUE_URL'))
    .map(([, url]) => url);
  expect(queueUrls).toContain(environment[queueUrlEnvVar('payment-events')]);
  const depths = await Promise.all(
    queueUrls.map(async (queueUrl) => {
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
    }),
  );
  return depths.reduce((sum, depth) => sum + depth, 0);
}

/**
 * Waits until the order is `done` and then the stack's queues have been empty and the order
 * unchanged for `stablePolls` polls in a row (other test files share the queues, so "empty" alone
 * could be a lull, and late duplicates must have had their chance to change something), or the
 * deadline passes; returns the last order read.
 */
async function settledOrder(
  store: TestStore,
  orderId: string,
  done: (order: Order) => boolean,
  timeoutMs = 50_000,
): Promise<Order> {
  const environment = inject('stackEnvironment');
  const client = new SQSClient({
    endpoint: environment.SQS_ENDPOINT,
    region: environment.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stablePolls = 5;
  const deadline = Date.now() + timeoutMs;
  try {
    let order = await getOrder(store, orderId);
    let stable = 0;
    while (stable < stablePolls && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const backlog = await queuedMessages(client);
      const next = await getOrder(store, orderId);
      stable = done(next) && backlog === 0 && JSON.stringify(next) === JSON.stringify(order) ? stable + 1 : 0;
      order = next;
    }
    if (stable < stablePolls) throw new Error(`order ${orderId} did not settle within ${timeoutMs} ms`);
    return order;
  } finally {
    client.destroy();
  }
}

describe('payments: one event delivered 200 times', () => {
  it('has exactly one effect when delivered 200 times, 50 of them concurrently', async () => {
    // Prepare
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 2500, stock: 10 });
    const placed = await store.call<Order>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 3 }]),
    });
    expect(placed.status).toBe(201);
    const orderId = placed.body.id;
    const intentId = placed.body.payment.paymentIntentId;
    await stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa' });
    let event: Stripe.Event | undefined;
    // Pages through every event of the type: the whole suite shares the simulator.
    for await (const candidate of stripe.events.list({ type: eventType, limit: 100 })) {
      if ((candidate.data.object as { id?: string }).id === intentId) {
        event = candidate;
        break;
      }
    }
    if (event === undefined) throw new Error(`the simulator recorded no ${eventType} for ${intentId}`);

    // Act
    const statuses: number[] = [];
    for (let sent = 0; sent < sequentialDeliveries; sent += chunkSize) {
      statuses.push(...(await Promise.all(Array.from({ length: chunkSize }, () => redeliver(event.id)))));
    }
    statuses.push(
      ...(await Promise.all(Array.from({ length: concurrentDeliveries }, () => redeliver(event.id)))),
    );
    const settled = await settledOrder(store, orderId, (order) => order.paymentStatus === 'captured');

    // Assess
    expect(statuses).toEqual(Array.from({ length: 200 }, () => 200));
    // pm_card_visa passes screening: one authorisation, one screening, one capture.
    expect(settled).toMatchObject({ status: 'paid', paymentStatus: 'captured', fraudStatus: 'approved' });
    const entries = (type: string) => settled.timeline.filter((entry) => entry.type === type);
    expect(entries('payment_authorized')).toHaveLength(1);
    expect(entries('fraud_screened')).toHaveLength(1);
    expect(entries('payment_captured')).toHaveLength(1);
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(7);
    // Deliveries that read the order while its capture is still pending leave it to the lease
    // holder, so Stripe sees one capture request, under the order's one idempotency key.
    const captures = (await stripeRequests()).filter(
      (request) => request.method === 'POST' && request.path === `/v1/payment_intents/${intentId}/capture`,
    );
    expect(captures).toHaveLength(1);
    expect(new Set(captures.map((request) => request.idempotencyKey))).toEqual(
      new Set([`${orderId}:capture`]),
    );
    let succeeded = 0;
    for await (const candidate of stripe.events.list({ type: 'payment_intent.succeeded', limit: 100 })) {
      if ((candidate.data.object as { id?: string }).id === intentId) succeeded++;
    }
    expect(succeeded).toBe(1);
    const intent = await stripe.paymentIntents.retrieve(intentId);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: intent.amount });
  }, 120_000);
});
