/**
 * A local stack of one test file's own, for tests that move its clock (bin/local/clock.ts): the
 * shared stack of test/support/global-setup.ts serves other files at the same time, and its clock
 * must not jump under them. The stack runs in the test's process (so its `Date` moves with the
 * stack's), with its own DynamoDB Local, SQS emulator and Stripe simulator.
 *
 * Everything goes over HTTP as a store, Stripe or a carrier would call it, plus the local stack's
 * controls (`/_local/clock`, `/_local/schedules/<name>`) and the simulator's (`/_simulator/*`).
 */
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { uninstallLocalClock } from '../../bin/local/clock.ts';
import { freePort } from '../../bin/local/free-port.ts';
import { type LocalStack, startLocalStack } from '../../bin/local/stack.ts';
import type { ApiResponse, RequestOptions, TestStore } from '../support/api.ts';
import { eventually } from '../support/orders-flow.ts';
import type { TrackingEvent } from '../support/shipments.ts';
import { signatureHeader } from '../support/shipping-webhooks.ts';

const adminToken = 'admin_day_scenario';
const stripeWebhookSecret = 'whsec_day_scenario';

export interface ScenarioStack {
  readonly url: string;
  /** The official SDK pointed at this stack's Stripe simulator. */
  readonly stripe: Stripe;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<ApiResponse<T>>;
  createStore(input: { name: string; timezone: string; settings: unknown }): Promise<TestStore>;
  /** Moves the stack's clock to `at` (forward only, by the test's choice); answers its new "now". */
  setClock(at: string): Promise<string>;
  /** Runs a schedule now (`sweep`, `kpi-nightly`) and resolves when it has finished. */
  runSchedule(name: string): Promise<void>;
  /** Holds back the simulator's webhooks whose body contains `text` (a late delivery). */
  holdWebhooks(text: string): Promise<void>;
  /** Delivers what the holds kept back; answers how many events that was. */
  releaseWebhooks(): Promise<number>;
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<void>;
  /** Signed tracking events to `POST /v1/webhooks/shipping/{storeId}`; expects 202. */
  track(store: TestStore, events: readonly TrackingEvent[]): Promise<void>;
  /** Messages waiting, in flight or delayed, on every queue of the stack and its dead-letter queues. */
  queueDepths(): Promise<Record<string, number>>;
  /** Waits until every queue is empty; throws with the depths if it does not happen in time. */
  drainQueues(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startScenarioStack(): Promise<ScenarioStack> {
  const [port, stripeSimulatorPort] = [await freePort(), await freePort()];
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port,
      stripeSimulatorPort,
      adminToken,
      stripeWebhookSecret,
      schedules: 'manual',
      queueVisibilityTimeoutSeconds: 2,
    });
  } catch (error) {
    uninstallLocalClock();
    throw error;
  }
  const stripeUrl = stack.stripe?.url;
  if (stripeUrl === undefined) {
    await stack.stop();
    uninstallLocalClock();
    throw new Error('the scenario stack runs the Stripe simulator');
  }
  const simulator = new URL(stripeUrl);
  const stripe = new Stripe('sk_test_day_scenario', {
    host: simulator.hostname,
    port: Number(simulator.port),
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  const sqs = new SQSClient({
    endpoint: stack.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${stack.url}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text === '' ? {} : JSON.parse(text)) as T,
    };
  }

  async function expectOk(response: Promise<ApiResponse>, what: string): Promise<unknown> {
    const answer = await response;
    if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async function simulatorPost(path: string, body: unknown): Promise<ApiResponse> {
    const response = await fetch(`${stripeUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) };
  }

  async function queueDepths(): Promise<Record<string, number>> {
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'salesops-' }));
    const depths: Record<string, number> = {};
    for (const url of QueueUrls) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      depths[url.slice(url.lastIndexOf('/') + 1)] =
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
    }
    return depths;
  }

  return {
    url: stack.url,
    stripe,
    call,
    async createStore({ name, timezone, settings }) {
      const created = (await expectOk(
        call('POST', '/admin/v1/stores', { token: adminToken, body: { name, timezone } }),
        'create a store',
      )) as { id: string; apiKey: string; shippingWebhookSecret: string };
      const store: TestStore = {
        id: created.id,
        apiKey: created.apiKey,
        shippingWebhookSecret: created.shippingWebhookSecret,
        call: (method, path, options = {}) =>
          call(method, path, { ...options, token: options.token ?? created.apiKey }),
      };
      await expectOk(store.call('PATCH', '/v1/store', { body: { settings } }), 'store settings');
      return store;
    },
    async setClock(at) {
      const state = (await expectOk(
        call('POST', '/_local/clock', { body: { now: at } }),
        'set the clock',
      )) as {
        now: string;
      };
      return state.now;
    },
    async runSchedule(name) {
      await expectOk(call('POST', `/_local/schedules/${encodeURIComponent(name)}`), `run ${name}`);
    },
    async holdWebhooks(text) {
      await expectOk(simulatorPost('/_simulator/webhooks/hold', { bodyIncludes: text }), 'hold webhooks');
    },
    async releaseWebhooks() {
      const body = (await expectOk(
        simulatorPost('/_simulator/webhooks/release', {}),
        'release webhooks',
      )) as {
        released: number;
      };
      return body.released;
    },
    async closeDispute(disputeId, outcome) {
      await expectOk(
        simulatorPost(`/_simulator/disputes/${encodeURIComponent(disputeId)}/close`, { outcome }),
        'close a dispute',
      );
    },
    async track(store, events) {
      if (events.length === 0) return;
      const rawBody = JSON.stringify({ events });
      await expectOk(
        call('POST', `/v1/webhooks/shipping/${store.id}`, {
          rawBody,
          headers: {
            'content-type': 'application/json',
            'x-salesops-signature': signatureHeader(store.shippingWebhookSecret, rawBody),
          },
        }),
        'tracking events',
      );
    },
    queueDepths,
    async drainQueues(timeoutMs = 60_000) {
      const empty = (depths: Record<string, number>) => Object.values(depths).every((depth) => depth === 0);
      // A dead letter never drains: stop waiting at once.
      const deadLetters = (depths: Record<string, number>) =>
        Object.entries(depths).some(([name, depth]) => name.endsWith('-dlq') && depth > 0);
      const depths = await eventually(queueDepths, (value) => empty(value) || deadLetters(value), timeoutMs);
      if (!empty(depths)) throw new Error(`queues not drained: ${JSON.stringify(depths)}`);
    },
    async stop() {
      sqs.destroy();
      try {
        await stack.stop();
      } finally {
        uninstallLocalClock();
      }
    },
  };
}
