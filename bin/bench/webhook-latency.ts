/**
 * Section 4: the webhook receivers' warm latency through the local stack, as their senders see it:
 * Stripe's (`POST /v1/webhooks/stripe`) and the carriers' (`POST /v1/webhooks/shipping/{storeId}`).
 * The stack runs in a child process (`webhook-latency-child.ts`) and this process plays Stripe and
 * the carrier, so the load generator does not share the event loop it measures.
 *
 * Each Stripe delivery is a small, validly signed event for a PaymentIntent no order has, so the
 * payment events consumer (polling in the stack's process) drops it after one lookup and the
 * measurement stays on the receiver's path. Each carrier delivery is one signed tracking event
 * for a tracking number no shipment has, for a store the child created: the receiver reads the
 * store's secrets (one GetItem) and queues the event (one SendMessageBatch); the shipping events
 * consumer keeps it in one transaction. Bodies and signatures are built before the clock starts.
 *
 * The targets are met one delivery in flight: Lambda gives each request an instance of its own, so
 * that is the latency of one invocation; the local stack serves every request from one Node
 * process, and with more in flight it measures that process's queueing, reported beside it.
 * Beside them, the latency of a bare SendMessage to the same fauxqs queue: the Stripe receiver's
 * one unavoidable step, so that a slow machine shows as slow in all.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LoadResult, runLoad } from './load.ts';
import type { BenchSection } from './section.ts';
import { round } from './stats.ts';

const count = 500;
const warmUps = 50;
const busyConcurrency = 4;
const targetP99Ms = 25;
const webhookSecret = `whsec_bench_${randomUUID()}`;

/** Where the child's stack listens, sent over the IPC channel once it is ready. */
export interface WebhookBenchStack {
  readonly url: string;
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly paymentEventsQueueUrl: string;
  /** A store created through the admin API, for the carrier's deliveries. */
  readonly shippingStore: { readonly id: string; readonly shippingWebhookSecret: string };
}

export const webhookLatency: BenchSection = {
  name: 'webhook-latency',
  title: `Webhook receivers (Stripe, shipping), warm (${count} signed deliveries each, 1 and ${busyConcurrency} in flight)`,
  async run({ repositoryRoot, log }) {
    const child = fork(join(repositoryRoot, 'bin/bench/webhook-latency-child.ts'), [webhookSecret], {
      cwd: repositoryRoot,
      execArgv: ['--import', 'tsx'],
      // The stack's handlers log to stdout; only the child's own progress (stderr) is shown.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const stack = await stackReady(child);
      const deliveries = Array.from({ length: warmUps + 2 * count }, (_, index) => signedDelivery(index));
      log(
        `Stripe deliveries: ${warmUps} to warm up, then ${count} one at a time and ${count} ${busyConcurrency} at a time`,
      );
      const { single, busy } = await measureReceiver(async (index) => {
        const delivery = deliveries[index];
        if (delivery === undefined) throw new Error(`no delivery ${index}`);
        const response = await fetch(`${stack.url}/v1/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': delivery.header },
          body: delivery.body,
        });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`answered ${response.status}: ${text.slice(0, 200)}`);
      });

      const { shippingStore } = stack;
      const shippingDeliveries = Array.from({ length: warmUps + 2 * count }, (_, index) =>
        signedShippingDelivery(shippingStore.shippingWebhookSecret, index),
      );
      log(
        `carrier deliveries: ${warmUps} to warm up, then ${count} one at a time and ${count} ${busyConcurrency} at a time`,
      );
      const shipping = await measureReceiver(async (index) => {
        const delivery = shippingDeliveries[index];
        if (delivery === undefined) throw new Error(`no carrier delivery ${index}`);
        const response = await fetch(`${stack.url}/v1/webhooks/shipping/${shippingStore.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-salesops-signature': delivery.header },
          body: delivery.body,
        });
        const text = await response.text();
        if (response.status !== 202) throw new Error(`answered ${response.status}: ${text.slice(0, 200)}`);
      });

      // The one unavoidable step of the accept path alone: the same bodies sent straight to fauxqs.
      const sqs = new SQSClient({
        endpoint: stack.sqsEndpoint,
        region: stack.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const sendRaw = async (index: number) => {
        const body = deliveries[index]?.body ?? '';
        await sqs.send(new SendMessageCommand({ QueueUrl: stack.paymentEventsQueueUrl, MessageBody: body }));
      };
      log(`raw SendMessage: ${warmUps} to warm up, then ${count}`);
      await runLoad(warmUps, 1, sendRaw);
      const rawSends = await runLoad(count, 1, (index) => sendRaw(warmUps + index));
      sqs.destroy();
      return {
        rows: [
          { metric: 'webhook p50, 1 in flight', value: round(single.p50Ms), unit: 'ms' },
          {
            metric: 'webhook p99, 1 in flight',
            value: round(single.p99Ms),
            unit: 'ms',
            target: { atMost: targetP99Ms },
          },
          { metric: `webhook p50, ${busyConcurrency} in flight`, value: round(busy.p50Ms), unit: 'ms' },
          { metric: `webhook p99, ${busyConcurrency} in flight`, value: round(busy.p99Ms), unit: 'ms' },
          {
            metric: `webhook deliveries, ${busyConcurrency} in flight`,
            value: round(busy.perSecond),
            unit: 'req/s',
          },
          {
            metric: 'webhook failures',
            value: single.failed + busy.failed,
            unit: 'count',
            target: { atMost: 0 },
          },
          { metric: 'shipping webhook p50, 1 in flight', value: round(shipping.single.p50Ms), unit: 'ms' },
          {
            metric: 'shipping webhook p99, 1 in flight',
            value: round(shipping.single.p99Ms),
            unit: 'ms',
            target: { atMost: targetP99Ms },
          },
          {
            metric: `shipping webhook p50, ${busyConcurrency} in flight`,
            value: round(shipping.busy.p50Ms),
            unit: 'ms',
          },
          {
            metric: `shipping webhook p99, ${busyConcurrency} in flight`,
            value: round(shipping.busy.p99Ms),
            unit: 'ms',
          },
          {
            metric: `shipping webhook deliveries, ${busyConcurrency} in flight`,
            value: round(shipping.busy.perSecond),
            unit: 'req/s',
          },
          {
            metric: 'shipping webhook failures',
            value: shipping.single.failed + shipping.busy.failed,
            unit: 'count',
            target: { atMost: 0 },
          },
          { metric: 'raw SQS SendMessage (fauxqs) p50', value: round(rawSends.p50Ms), unit: 'ms' },
          { metric: 'raw SQS SendMessage (fauxqs) p99', value: round(rawSends.p99Ms), unit: 'ms' },
        ],
        details: {
          warmUps,
          single: summary(single),
          busy: summary(busy),
          shippingSingle: summary(shipping.single),
          shippingBusy: summary(shipping.busy),
          rawSends: summary(rawSends),
        },
      };
    } finally {
      child.send('stop');
      await once(child, 'exit');
    }
  },
};

async function stackReady(child: ChildProcess): Promise<WebhookBenchStack> {
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the stack's process exited with ${code} before it was ready`);
  });
  const [message] = await Promise.race([once(child, 'message'), exited]);
  return message as WebhookBenchStack;
}

/** Warms up, then `count` deliveries one at a time and `count` with `busyConcurrency` in flight. */
async function measureReceiver(
  deliver: (index: number) => Promise<void>,
): Promise<{ single: LoadResult; busy: LoadResult }> {
  await runLoad(warmUps, 1, deliver);
  const single = await runLoad(count, 1, (index) => deliver(warmUps + index));
  const busy = await runLoad(count, busyConcurrency, (index) => deliver(warmUps + count + index));
  return { single, busy };
}

/** One tracking event for a tracking number no shipment has, signed as the contract says (section 7). */
function signedShippingDelivery(secret: string, index: number): { body: string; header: string } {
  const body = JSON.stringify({
    events: [
      {
        eventId: `evt_bench_${randomUUID()}`,
        carrier: 'ups',
        trackingNumber: `1ZBENCH${index}`,
        status: 'in_transit',
        occurredAt: new Date().toISOString(),
        location: 'Memphis, TN',
      },
    ],
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { body, header: `t=${timestamp},v1=${v1}` };
}

/** Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
function signedDelivery(index: number): { body: string; header: string } {
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `evt_bench_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2025-10-29.clover',
    created: timestamp,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.canceled',
    data: {
      object: {
        id: `pi_bench_foreign_${index}`,
        object: 'payment_intent',
        amount: 1999,
        currency: 'usd',
        metadata: {},
        cancellation_reason: 'abandoned',
      },
    },
  });
  const v1 = createHmac('sha256', webhookSecret).update(`${timestamp}.${body}`).digest('hex');
  return { body, header: `t=${timestamp},v1=${v1}` };
}

function summary(result: LoadResult) {
  const { latenciesMs: _latenciesMs, ...rest } = result;
  return rest;
}
