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
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createQueues, type LocalQueue } from '../../bin/local/queues.ts';
import { type SqsEmulator, startSqsEmulator } from '../../bin/local/sqs-emulator.ts';
import { startSqsPoller } from '../../bin/local/sqs-poller.ts';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { functionDefinition } from '../../lib/topology.ts';
import { checkoutBody, createStore, putProduct, type TestStore } from '../support/api.ts';
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
let emulator: SqsEmulator;
let sqs: SQSClient;
let queues: { paymentEvents: LocalQueue; fraudChecks: LocalQueue };
/** The main table's keys of every order item this process wrote. */
const orderWrites: string[] = [];

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  emulator = await startSqsEmulator();
  sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  queues = await createTestQueues();
  // The consumer's fraud checks go to this test's fauxqs, where nothing consumes them: each can be
  // counted, and the stack's fraud screening does not move the orders on while they are checked.
  process.env.SQS_ENDPOINT = emulator.endpoint;
  process.env[queueUrlEnvVar('fraud-checks')] = queues.fraudChecks.url;
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  dynamoClient.middlewareStack.add(
    (next, context) => async (args) => {
      const { input } = args;
      if (context.commandName === 'PutItemCommand' && 'Item' in input) {
        recordOrderWrite(input.Item);
      }
      if (context.commandName === 'TransactWriteItemsCommand' && 'TransactItems' in input) {
        for (const item of input.TransactItems ?? []) {
          if ('Put' in item) recordOrderWrite(item.Put?.Item);
        }
      }
      return next(args);
    },
    // At `build` the document client has marshalled the items into attribute values.
    { step: 'build', name: 'recordOrderWrites' },
  );
  ({ handler } = await import('../../functions/payments/events-handler.ts'));
});

afterAll(async () => {
  sqs?.destroy();
  await emulator?.stop();
});

/** The order items written (`pk`s), whichever way: Put or a Put inside a transaction. */
function recordOrderWrite(item: Record<string, AttributeValue> | undefined): void {
  const pk = item?.pk?.S;
  if (item?.sk?.S === '#ORDER' && pk !== undefined) orderWrites.push(pk);
}

async function createTestQueues(): Promise<{ paymentEvents: LocalQueue; fraudChecks: LocalQueue }> {
  const created = await createQueues(
    sqs,
    [
      { name: 'payment-events', maxReceiveCount, batchSize: 10 },
      { name: 'fraud-checks', maxReceiveCount, batchSize: 10 },
    ],
    `poison${randomUUID().slice(0, 8)}-`,
    { visibilityTimeoutSeconds },
  );
  const paymentEvents = created['payment-events'];
  const fraudChecks = created['fraud-checks'];
  if (paymentEvents === undefined || fraudChecks === undefined)
    throw new Error('createQueues missed a queue');
  return { paymentEvents, fraudChecks };
}

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

async function queueDepth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
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
    const queue = queues.paymentEvents;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    expect(sent.Failed ?? []).toEqual([]);
    const seen: SQSRecord[] = [];
    const errors: unknown[] = [];
    const writesBefore = orderWrites.length;

    // Act
    const poller = startSqsPoller({
      client: sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      visibilityTimeoutSeconds,
      functionName: 'paymentEvents',
      timeoutSeconds: functionDefinition('paymentEvents').timeoutSeconds,
      onError: (error) => errors.push(error),
      handler: async (event, context) => {
        seen.push(...event.Records);
        return handler(event, context);
      },
    });
    try {
      await vi.waitFor(async () => expect((await queueDepth(queue.dlqUrl)).visible).toBe(1), WAIT);
    } finally {
      await poller.stop();
    }

    // Assess
    expect(countBy(seen, (record) => record.body)).toEqual(
      Object.fromEntries(bodies.map((body) => [body, body === poisonBody ? maxReceiveCount : 1])),
    );
    expect(
      seen
        .filter((record) => record.body === poisonBody)
        .map((record) => record.attributes.ApproximateReceiveCount),
    ).toEqual(['1', '2', '3']);
    // One order write and one fraud check per good record, none for the poison one.
    const written = countBy(orderWrites.slice(writesBefore), (pk) => pk);
    expect(written).toEqual(
      Object.fromEntries(orders.map((order) => [`STORE#${store.id}#ORDER#${order.id}`, 1])),
    );
    const fraudChecks = (await drain(queues.fraudChecks.url)).map((body) => JSON.parse(body));
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
    expect(await queueDepth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
    const deadLetters = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl }));
    expect(deadLetters.Messages?.map((message) => message.Body)).toEqual([poisonBody]);
    // Redeliveries of the poison record alone fail their whole (one-record) batch: Powertools says so by throwing.
    expect(errors.every((error) => error instanceof Error && error.name === 'FullBatchFailureError')).toBe(
      true,
    );
  }, 90_000);
});
