/**
 * The measurement behind the `webhook-latency` bench section, in a process of its own: handler
 * modules keep the endpoints they read at import, so a second local stack in the process that ran
 * the checkout bench would reach the first one's stopped emulators. Writes its result as JSON to
 * the file named by its first argument.
 *
 * The Stripe webhook receiver's warm latency through the local stack (HTTP server, signature
 * check, one SQS send to fauxqs), as Stripe sees it. Each delivery is a small, validly signed event
 * for a PaymentIntent no order has, so the payment events consumer (polling in the same process)
 * drops it after one lookup and the measurement stays on the receiver's path. Bodies and
 * signatures are built before the clock starts.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { freePort } from '../local/free-port.ts';
import { startLocalStack } from '../local/stack.ts';
import { runLoad } from './load.ts';
import { type WebhookLatencyResult, webhookLoad } from './webhook-latency.ts';

const webhookSecret = 'whsec_bench';
/** Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
function signature(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

function foreignEvent(index: number): string {
  const created = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    id: `evt_bench_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2025-10-29.clover',
    created,
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
}

const outputFile = process.argv[2];
if (outputFile === undefined) throw new Error('usage: webhook-latency-child.ts <output.json>');
const log = (line: string) => process.stderr.write(`  ${line}\n`);
const stack = await startLocalStack({
  port: await freePort(),
  stripeSimulatorPort: await freePort(),
  adminToken: `admin_bench_${randomUUID()}`,
  stripeWebhookSecret: webhookSecret,
  schedules: 'manual',
  log,
});
try {
  const { count, warmUps, concurrency } = webhookLoad;
  const url = `${stack.url}/v1/webhooks/stripe`;
  const timestamp = Math.floor(Date.now() / 1000);
  const deliveries = Array.from({ length: warmUps + count }, (_, index) => {
    const body = foreignEvent(index);
    return { body, header: signature(body, webhookSecret, timestamp) };
  });
  const deliver = async (index: number) => {
    const delivery = deliveries[index];
    if (delivery === undefined) throw new Error(`no delivery ${index}`);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': delivery.header },
      body: delivery.body,
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`answered ${response.status}: ${text.slice(0, 200)}`);
  };
  log(`deliveries: ${warmUps} to warm up, then ${count}`);
  await runLoad(warmUps, concurrency, deliver);
  const measured = await runLoad(count, concurrency, (index) => deliver(warmUps + index));

  // The one unavoidable step of the accept path alone: the same bodies sent straight to fauxqs.
  const sqs = new SQSClient({
    endpoint: stack.sqsEndpoint,
    region: stack.environment.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = stack.environment[queueUrlEnvVar('payment-events')];
  const sendRaw = async (index: number) => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: deliveries[index]?.body ?? '' }),
    );
  };
  log(`raw SendMessage: ${warmUps} to warm up, then ${count}`);
  await runLoad(warmUps, concurrency, sendRaw);
  const rawSends = await runLoad(count, concurrency, (index) => sendRaw(warmUps + index));
  sqs.destroy();
  const result: WebhookLatencyResult = { deliveries: measured, rawSends };
  await writeFile(outputFile, JSON.stringify(result));
} finally {
  await stack.stop();
}
// Keep-alive sockets and SDK clients of the local stack would otherwise hold the process open.
process.exit(0);
