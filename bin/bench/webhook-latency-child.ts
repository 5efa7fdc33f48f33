/**
 * The local stack behind the `webhook-latency` bench section, in a process of its own, as
 * `npm start` would run it: handler modules keep the endpoints they read at import, so a second
 * local stack in the process that ran the checkout bench would reach the first one's stopped
 * emulators, and the load generator (playing Stripe) belongs outside the process it measures.
 *
 * Creates a store through the admin API, as an operator would, so that the parent can sign carrier
 * deliveries with its shipping webhook secret. Tells its parent where the stack listens and that
 * store over the IPC channel, then serves until told to stop.
 */
import { randomUUID } from 'node:crypto';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { freePort } from '../local/free-port.ts';
import { startLocalStack } from '../local/stack.ts';
import type { WebhookBenchStack } from './webhook-latency.ts';

const webhookSecret = process.argv[2];
if (webhookSecret === undefined || process.send === undefined) {
  throw new Error('usage: spawned by webhook-latency.ts with an IPC channel and the webhook secret');
}
const adminToken = `admin_bench_${randomUUID()}`;
const stack = await startLocalStack({
  port: await freePort(),
  stripeSimulatorPort: await freePort(),
  adminToken,
  stripeWebhookSecret: webhookSecret,
  schedules: 'manual',
  log: (line) => process.stderr.write(`  ${line}\n`),
});
const created = await fetch(`${stack.url}/admin/v1/stores`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'Bench carrier target' }),
});
const store = (await created.json()) as { id?: unknown; shippingWebhookSecret?: unknown };
if (
  created.status !== 201 ||
  typeof store.id !== 'string' ||
  typeof store.shippingWebhookSecret !== 'string'
) {
  await stack.stop();
  throw new Error(`the bench store could not be created: ${created.status}`);
}
const ready: WebhookBenchStack = {
  url: stack.url,
  sqsEndpoint: stack.sqsEndpoint,
  region: stack.environment.AWS_REGION ?? 'us-east-1',
  paymentEventsQueueUrl: stack.environment[queueUrlEnvVar('payment-events')] ?? '',
  shippingStore: { id: store.id, shippingWebhookSecret: store.shippingWebhookSecret },
};
process.send(ready);
process.once('message', async () => {
  await stack.stop();
  // Keep-alive sockets and SDK clients of the local stack would otherwise hold the process open.
  process.exit(0);
});
