/**
 * The payment events consumer (functions/payments/events-handler.ts) on a real fauxqs queue, driven
 * by the local Lambda-like poller, against the running stack's DynamoDB Local: one poison record in
 * a batch of ten must not hold back the nine good ones, and must end in the dead-letter queue.
 *
 * The orders are created through the API but their PaymentIntents are never confirmed at the
 * simulator: a confirmation would make the simulator deliver the real event to the stack's own
 * payment events queue, and the stack's consumer would apply it instead of the one under test. The
 * `amount_capturable_updated` events are therefore built from each PaymentIntent as the simulator
 * returns it, with the fields Stripe sets on authorisation. "Applied exactly once" is counted at
 * the effects: one order write and one fraud check message per good record.
 */
import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalQueue } from '../../bin/local/queues.ts';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { functionDefinition } from '../../lib/topology.ts';
import { checkoutBody, createStore, putProduct, type TestStore } from '../support/api.ts';
import {
  countBy,
  createTestQueues,
  recordOrderWrites,
  runPoisonBatch,
  startTestSqs,
  type TestSqs,
} from '../support/fauxqs.ts';
import { simulatorStripe } from '../support/stripe.ts';

type Handler = typeof import('../../functions/payments/events-handler.ts')['handler'];

type Order = {
  id: string;
  status: string;
  paymentStatus: string;
  fraudStatus: string;
  timeline: { type: string }[];
  payment: { paymentIntentId: string };
};

/** Failed records come back after one second, so three receives take a few seconds. */
const visibilityTimeoutSeconds = 1;
/** Production's payment-events queue uses 5 (lib/topology.ts); 3 keeps this test short. */
const maxReceiveCount = 3;
/** Truncated JSON: parsing it throws on every receive, as a corrupted message would. */
const poisonBody = '{"id": "evt_poison", "type": "payment_intent.amount_capturable_updated", ';
const WAIT = { timeout: 45_000, interval: 100 };

let handler: Handler;
let fauxqs: TestSqs;
let sqs: SQSClient;
let queues: { 'payment-events': LocalQueue; 'fraud-checks': LocalQueue };
/** The main table's keys of every order item this process wrote. */
let orderWrites: string[];

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  fauxqs = await startTestSqs();
  sqs = fauxqs.sqs;
  queues = await createTestQueues(
    sqs,
    [
      { name: 'payment-events', maxReceiveCount, batchSize: 10 },
      { name: 'fraud-checks', maxReceiveCount, batchSize: 10 },
    ],
    { prefix: 'poison', visibilityTimeoutSeconds },
  );
  // The consumer's fraud checks go to this test's fauxqs, where nothing consumes them: each can be
  // counted, and the stack's fraud screening does not move the orders on while they are checked.
  process.env.SQS_ENDPOINT = fauxqs.endpoint;
  process.env[queueUrlEnvVar('fraud-checks')] = queues['fraud-checks'].url;
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  orderWrites = recordOrderWrites(dynamoClient);
  ({ handler } = await import('../../functions/payments/events-handler.ts'));
});

afterAll(async () => {
  await fauxqs?.stop();
});

/** Every message waiting in a queue that nothing consumes, each received once. */
async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body ?? ''));
  }
}

async function placeOrder(store: TestStore): Promise<Order> {
  const response = await store.call<Order>('POST', '/v1/checkouts', {
    body: checkoutBody([{ sku: 'A', quantity: 1 }]),
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return response.body;
}

/** `payment_intent.amount_capturable_updated` as Stripe sends it once the card is authorised. */
async function authorisedEvent(paymentIntentId: string): Promise<string> {
  const intent = await simulatorStripe().paymentIntents.retrieve(paymentIntentId);
  return JSON.stringify({
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2025-10-29.clover',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.amount_capturable_updated',
    data: {
      object: {
        ...intent,
        status: 'requires_capture',
        amount_capturable: intent.amount,
        payment_method: 'pm_card_visa',
        latest_charge: `ch_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      },
    },
  });
}

describe('payment events consumer on fauxqs', () => {
  it('applies the 9 good records of a batch of 10 exactly once and dead-letters the poison one after maxReceiveCount', async () => {
    // Prepare
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1200, stock: 20 });
    const orders: Order[] = [];
    for (let index = 0; index < 9; index++) orders.push(await placeOrder(store));
    const bodies = await Promise.all(orders.map((order) => authorisedEvent(order.payment.paymentIntentId)));
    // The poison record sits in the middle of the batch: it must not fail its neighbours.
    bodies.splice(4, 0, poisonBody);
    const writesBefore = orderWrites.length;

    // Act
    const run = await runPoisonBatch({
      sqs,
      queue: queues['payment-events'],
      bodies,
      poisonBody,
      poller: {
        batchSize: 10,
        visibilityTimeoutSeconds,
        functionName: 'paymentEvents',
        timeoutSeconds: functionDefinition('paymentEvents').timeoutSeconds,
        handler: (event, context) => handler(event, context),
      },
      wait: WAIT,
    });

    // Assess
    expect(run).toMatchObject({
      receives: Object.fromEntries(bodies.map((body) => [body, body === poisonBody ? maxReceiveCount : 1])),
      poisonReceiveCounts: ['1', '2', '3'],
      remaining: { visible: 0, inFlight: 0 },
      deadLetters: [poisonBody],
    });
    // One order write and one fraud check per good record, none for the poison one.
    const written = countBy(orderWrites.slice(writesBefore), (pk) => pk);
    expect(written).toEqual(
      Object.fromEntries(orders.map((order) => [`STORE#${store.id}#ORDER#${order.id}`, 1])),
    );
    const fraudChecks = (await drain(queues['fraud-checks'].url)).map((body) => JSON.parse(body));
    expect(fraudChecks).toHaveLength(orders.length);
    expect(fraudChecks).toEqual(
      expect.arrayContaining(orders.map((order) => ({ storeId: store.id, orderId: order.id }))),
    );
    for (const order of orders) {
      const current = (await store.call<Order>('GET', `/v1/orders/${order.id}`)).body;
      expect(current).toMatchObject({
        status: 'processing',
        paymentStatus: 'authorized',
        fraudStatus: 'pending',
      });
      expect(current.timeline.filter((entry) => entry.type === 'payment_authorized')).toHaveLength(1);
    }
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(11);
    // Redeliveries of the poison record alone fail their whole (one-record) batch: Powertools says so by throwing.
    expect(
      run.errors.every((error) => error instanceof Error && error.name === 'FullBatchFailureError'),
    ).toBe(true);
  }, 90_000);
});
