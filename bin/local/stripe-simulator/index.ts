/**
 * The local Stripe simulator (contract section 10): the part of Stripe's REST API that the backend
 * uses, served so that the official `stripe` SDK talks to it unchanged
 * (`new Stripe(key, { host: '127.0.0.1', port, protocol: 'http' })`), with signed webhook
 * deliveries, Stripe's idempotency semantics and injectable faults. Everything hangs off the
 * started instance: several simulators can run side by side in one process.
 *
 * Test and operations controls are methods of the instance and also HTTP routes under
 * `/_simulator/*`, documented in `control-routes.ts`:
 * `POST /_simulator/faults`, `GET|DELETE /_simulator/requests`,
 * `POST /_simulator/events/{id}/redeliver`, `POST /_simulator/disputes/{id}/close`,
 * `POST /_simulator/charges/{id}/early_fraud_warnings`, `POST /_simulator/webhooks/hold`,
 * `POST /_simulator/webhooks/release`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { SimulatedAccount } from './account.ts';
import { apiRoutes } from './api-routes.ts';
import type { RequestLogEntry, SimulatorControls } from './control-routes.ts';
import { resourceMissing } from './errors.ts';
import { EventLog } from './events.ts';
import { type Fault, FaultInjector } from './faults.ts';
import { IdempotencyStore } from './idempotency.ts';
import { createRequestListener } from './server.ts';
import { WebhookDeliveryError, WebhookSender } from './webhooks.ts';

/** The API version the simulator's objects follow: the one the installed SDK pins. */
export const STRIPE_API_VERSION: typeof Stripe.API_VERSION = '2026-10-28.endive';

export interface StripeSimulatorOptions {
  /** 0 = any free port. */
  port: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Where signed events are POSTed, e.g. `http://127.0.0.1:3000/v1/webhooks/stripe`; none = no delivery. */
  webhookUrl?: string;
  /** The endpoint's signing secret, e.g. `whsec_local`, used for `Stripe-Signature` as Stripe does. */
  webhookSecret: string;
  /** The clock for `created` times, signatures and idempotency expiry; default the system clock. */
  now?: () => Date;
  /** Waits before each retry of a failed delivery; default 100, 400 and 1600 ms, then it gives up. */
  webhookRetryDelaysMs?: readonly number[];
}

export interface StripeSimulator extends SimulatorControls {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /**
   * The next `count` API requests fail: `error` answers 500 with Stripe's `api_error` body (kept
   * under the request's idempotency key and replayed, like Stripe); `refuse` destroys the socket
   * unanswered. Idempotent replays are served from the saved response and draw no `error` fault.
   * The SDK repeats a reset request once by itself, even with `maxNetworkRetries: 0`, so it
   * reports a connection error only after two refusals (`count: 2`). With `bodyIncludes`, only requests whose raw body contains that text are affected (so
   * tests sharing one simulator do not take each other's faults). A new injection replaces the
   * previous one.
   */
  injectFaults(fault: Fault): void;
  /** Every API request received (not `/_simulator`), oldest first. */
  requestLog(): readonly RequestLogEntry[];
  resetRequestLog(): void;
  /** Sends the stored event again (same id, fresh signature), once; rejects unless the endpoint answers 2xx. */
  redeliver(eventId: string): Promise<void>;
  /** Closes an open dispute as `won` or `lost`: `charge.dispute.closed`. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<void>;
  /** Radar's early fraud warning on a charge: `radar.early_fraud_warning.created`. */
  createEarlyFraudWarning(chargeId: string, actionable: boolean): Promise<void>;
  /** Holds back the delivery of events whose JSON contains the text, until `releaseWebhooks`. */
  holdWebhooks(bodyIncludes: string): void;
  /** Ends every hold and delivers what was held; answers how many events that was. */
  releaseWebhooks(): number;
  /** Resolves once every webhook delivery started so far has succeeded or given up. */
  webhooksIdle(): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [100, 400, 1600];

export async function startStripeSimulator(options: StripeSimulatorOptions): Promise<StripeSimulator> {
  const now = options.now ?? (() => new Date());
  const nowMs = (): number => now().getTime();
  const clock = (): number => Math.floor(nowMs() / 1000);

  const webhooks =
    options.webhookUrl === undefined
      ? undefined
      : new WebhookSender({
          url: options.webhookUrl,
          secret: options.webhookSecret,
          clock,
          retryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
          onDelivered: (eventId) => events.markDelivered(eventId),
        });
  const events: EventLog = new EventLog({
    apiVersion: STRIPE_API_VERSION,
    clock,
    webhookEndpoints: webhooks === undefined ? 0 : 1,
    onEvent: (event) => webhooks?.enqueue(event),
  });
  const account = new SimulatedAccount(clock, events);
  const faults = new FaultInjector();
  const requestLog: RequestLogEntry[] = [];

  const controls: SimulatorControls = {
    injectFaults: (fault) => faults.inject(fault),
    requestLog: () => [...requestLog],
    resetRequestLog: () => {
      requestLog.length = 0;
    },
    redeliver: async (eventId) => {
      const event = events.events.get(eventId, 'id');
      if (webhooks === undefined) throw new WebhookDeliveryError('the simulator has no webhookUrl');
      await webhooks.redeliver(event);
    },
    closeDispute: async (disputeId, outcome) => {
      account.closeDispute(disputeId, outcome);
    },
    createEarlyFraudWarning: async (chargeId, actionable) => {
      if (account.charges.find(chargeId) === undefined) throw resourceMissing('charge', chargeId);
      account.createEarlyFraudWarning(chargeId, actionable);
    },
    holdWebhooks: (bodyIncludes) => webhooks?.hold(bodyIncludes),
    releaseWebhooks: () => webhooks?.release() ?? 0,
  };

  const server = createServer(
    createRequestListener({
      routes: apiRoutes({ account, events }),
      idempotency: new IdempotencyStore(nowMs),
      faults,
      requestLog,
      controls,
      apiVersion: STRIPE_API_VERSION,
      clock,
    }),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const stopServer = async (): Promise<void> => {
    webhooks?.close();
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // The SDK keeps connections alive; close them so `close` does not wait for their timeout.
      server.closeAllConnections();
    });
  };

  return {
    url: `http://${urlHost}:${port}`,
    port,
    ...controls,
    webhooksIdle: async () => webhooks?.idle(),
    close: () => {
      closing ??= stopServer();
      return closing;
    },
  };
}
