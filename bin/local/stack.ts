/**
 * The whole backend on one machine (contract section 10): DynamoDB Local, the fauxqs SQS
 * emulator, the Stripe simulator, the HTTP server, the queue pollers and the schedules — every
 * piece derived from lib/topology.ts and lib/data-model.ts, as the CDK stack is.
 *
 * Handlers run in this process, so one local stack per process (they read `process.env`).
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { tableEnvVar, tables } from '../../lib/data-model.ts';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import {
  allSchedules,
  type FunctionName,
  functionDefinition,
  functionNames,
  queues,
} from '../../lib/topology.ts';
import { installLocalClock, localClock } from './clock.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { type ApiHandler, type LocalControl, localRoutes, startHttpServer } from './http-server.ts';
import { createQueues } from './queues.ts';
import { startScheduler } from './scheduler.ts';
import { startSqsEmulator } from './sqs-emulator.ts';
import { lambdaContext, startSqsPoller } from './sqs-poller.ts';
import { type StripeSimulator, startStripeSimulator } from './stripe-simulator/index.ts';
import { createTables } from './tables.ts';

const repositoryRoot = resolve(import.meta.dirname, '../..');
const region = 'us-east-1';
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalStackOptions {
  readonly port: number;
  readonly adminToken: string;
  readonly stripeWebhookSecret: string;
  readonly stripeSimulatorPort: number;
  /** Set to talk to real Stripe instead of the simulator. */
  readonly stripeSecretKey?: string | undefined;
  /** Fire schedules on their intervals (npm start) or only on `runSchedule` (tests). */
  readonly schedules: 'interval' | 'manual';
  /** Visibility timeout of the local queues; small in tests so retries come back fast. */
  readonly queueVisibilityTimeoutSeconds?: number;
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly url: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableNames: Readonly<Record<string, string>>;
  readonly stripe: StripeSimulator | undefined;
  /** The env every handler of this stack sees (table names, endpoints, secrets). */
  readonly environment: Readonly<Record<string, string>>;
  runSchedule(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** What the local stack serves, for the parity test against the synthesized CDK template. */
export function describeLocalStack() {
  return {
    routes: localRoutes().map((route) => route.key as string),
    queues: queues.map((queue) => queue.name),
    schedules: allSchedules().map(({ functionName, schedule }) => ({
      functionName: functionName as string,
      name: schedule.name,
      everyMinutes: schedule.everyMinutes,
    })),
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) await stopper().catch(() => {});
  };
  // Before any handler module loads, so that all of them read the movable clock.
  installLocalClock();
  try {
    const [dynamodb, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEmulator()]);
    stoppers.push(
      () => dynamodb.stop(),
      () => sqs.stop(),
    );
    log(`DynamoDB Local on ${dynamodb.endpoint}, SQS emulator on ${sqs.endpoint}`);

    const tableNames = Object.fromEntries(tables.map((table) => [table.name, `salesops-${table.name}`]));
    const dynamoClient = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region,
      credentials: localCredentials,
    });
    await createTables(dynamoClient, tableNames);

    const sqsClient = new SQSClient({ endpoint: sqs.endpoint, region, credentials: localCredentials });
    const localQueues = await createQueues(sqsClient, queues, 'salesops-', {
      visibilityTimeoutSeconds: options.queueVisibilityTimeoutSeconds ?? 30,
    });

    const stripe =
      options.stripeSecretKey === undefined
        ? await startStripeSimulator({
            port: options.stripeSimulatorPort,
            webhookUrl: `http://127.0.0.1:${options.port}/v1/webhooks/stripe`,
            webhookSecret: options.stripeWebhookSecret,
          })
        : undefined;
    if (stripe !== undefined) stoppers.push(() => stripe.close());

    const environment: Record<string, string> = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      DYNAMODB_ENDPOINT: dynamodb.endpoint,
      SQS_ENDPOINT: sqs.endpoint,
      POWERTOOLS_SERVICE_NAME: 'sales-ops',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      SALESOPS_ADMIN_TOKEN: options.adminToken,
      // A fixed key: local data is throwaway, and a stable key keeps hashes comparable across restarts.
      SALESOPS_EMAIL_HASH_KEY: 'local-email-hash-key',
      STRIPE_WEBHOOK_SECRET: options.stripeWebhookSecret,
      STRIPE_SECRET_KEY: options.stripeSecretKey ?? 'sk_test_local_simulator',
      ...(stripe === undefined ? {} : { STRIPE_API_BASE: stripe.url }),
      ...Object.fromEntries(tables.map((table) => [tableEnvVar(table), tableNames[table.name] ?? ''])),
      ...Object.fromEntries(
        Object.entries(localQueues).map(([name, queue]) => [queueUrlEnvVar(name), queue.url]),
      ),
    };
    Object.assign(process.env, environment);

    const loadHandler = handlerLoader();
    const server = await startHttpServer({
      port: options.port,
      loadHandler: (name) => loadHandler<ApiHandler>(name),
      localControl: (request) =>
        request.path.startsWith('/_local/schedules/')
          ? scheduleControl(request, (name) => scheduler.runNow(name))
          : clockControl(request),
      onError: (error) => log(`local server error: ${String(error)}`),
    });
    stoppers.push(() => server.close());

    for (const name of functionNames) {
      const definition = functionDefinition(name);
      const queueName = definition.consumes;
      if (queueName === undefined) continue;
      const queue = localQueues[queueName];
      const queueDefinition = queues.find((candidate) => candidate.name === queueName);
      if (queue === undefined || queueDefinition === undefined) throw new Error(`unknown queue ${queueName}`);
      const handler =
        await loadHandler<(event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>>(name);
      const poller = startSqsPoller({
        client: sqsClient,
        queueUrl: queue.url,
        queueArn: queue.arn,
        batchSize: queueDefinition.batchSize,
        visibilityTimeoutSeconds: options.queueVisibilityTimeoutSeconds ?? 30,
        functionName: name,
        timeoutSeconds: definition.timeoutSeconds,
        handler: (event, context) => handler(event, context),
        onError: (error) => log(`${name} failed a batch: ${String(error)}`),
      });
      stoppers.push(() => poller.stop());
    }

    const scheduled = await Promise.all(
      allSchedules().map(async ({ functionName, schedule }) => {
        const handler =
          await loadHandler<(event: ScheduledEvent, context: Context) => Promise<unknown>>(functionName);
        const definition = functionDefinition(functionName);
        return {
          name: schedule.name,
          everyMinutes: schedule.everyMinutes,
          invoke: (event: ScheduledEvent) =>
            handler(event, lambdaContext(functionName, definition.timeoutSeconds, definition.memoryMb)),
        };
      }),
    );
    const scheduler = startScheduler(
      scheduled,
      options.schedules === 'manual' ? { tickMs: () => 2_147_483_647 } : {},
    );
    stoppers.push(() => scheduler.stop());

    return {
      url: server.url,
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
      tableNames,
      stripe,
      environment,
      runSchedule: (name) => scheduler.runNow(name),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * `GET /_local/clock` → `{ now, offsetMs }`; `POST /_local/clock` with `{ "now": "<RFC 3339>" }`,
 * `{ "advanceMs": n }` or `{ "reset": true }` moves the stack's clock (bin/local/clock.ts).
 */
const clockControl: LocalControl = async ({ method, path, body }) => {
  if (path !== '/_local/clock') return { status: 404, body: { message: 'Not Found' } };
  if (method === 'GET') return { status: 200, body: localClock.state() };
  if (method !== 'POST') return { status: 405, body: { message: 'GET or POST' } };
  let request: unknown;
  try {
    request = JSON.parse(body === '' ? '{}' : body);
  } catch {
    return { status: 400, body: { message: 'the body is not JSON' } };
  }
  const { now, advanceMs, reset } = (request ?? {}) as {
    now?: unknown;
    advanceMs?: unknown;
    reset?: unknown;
  };
  if (typeof now === 'string' && !Number.isNaN(Date.parse(now)))
    return { status: 200, body: localClock.set(now) };
  if (typeof advanceMs === 'number' && Number.isFinite(advanceMs)) {
    return { status: 200, body: localClock.advance(advanceMs) };
  }
  if (reset === true) return { status: 200, body: localClock.reset() };
  return {
    status: 400,
    body: { message: 'send { "now": "<RFC 3339>" }, { "advanceMs": n } or { "reset": true }' },
  };
};

/**
 * `POST /_local/schedules/<name>` runs a schedule now and answers when it has finished, so that a
 * test or the demo that moved the clock need not wait for the schedule's next tick.
 */
async function scheduleControl(
  { method, path }: Parameters<LocalControl>[0],
  runNow: (name: string) => Promise<void>,
): Promise<{ status: number; body: unknown }> {
  if (method !== 'POST') return { status: 405, body: { message: 'POST' } };
  const name = decodeURIComponent(path.slice('/_local/schedules/'.length));
  if (!allSchedules().some(({ schedule }) => schedule.name === name)) {
    return { status: 404, body: { message: `no schedule "${name}"` } };
  }
  await runNow(name);
  return { status: 200, body: { ran: name } };
}

function handlerLoader() {
  const loaded = new Map<FunctionName, Promise<unknown>>();
  return <T>(name: FunctionName): Promise<T> => {
    let module = loaded.get(name);
    if (module === undefined) {
      const entry = pathToFileURL(resolve(repositoryRoot, functionDefinition(name).entry)).href;
      module = import(entry).then((exports: { handler?: unknown }) => {
        if (typeof exports.handler !== 'function') throw new Error(`${entry} exports no handler`);
        return exports.handler;
      });
      loaded.set(name, module);
    }
    return module as Promise<T>;
  };
}
