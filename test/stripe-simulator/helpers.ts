import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import {
  type StripeSimulator,
  type StripeSimulatorOptions,
  startStripeSimulator,
} from '../../bin/local/stripe-simulator/index.ts';

export const WEBHOOK_SECRET = 'whsec_simulator_test';
export const SECRET_KEY = 'sk_test_simulator';

export interface SimulatorWithClient {
  readonly simulator: StripeSimulator;
  readonly stripe: Stripe;
}

/** A simulator on a free port and the official SDK pointed at it, as the backend configures it. */
export async function startSimulatorWithClient(
  options: Partial<StripeSimulatorOptions> = {},
): Promise<SimulatorWithClient> {
  const simulator = await startStripeSimulator({ port: 0, webhookSecret: WEBHOOK_SECRET, ...options });
  return { simulator, stripe: sdkFor(simulator) };
}

export function sdkFor(simulator: StripeSimulator, key = SECRET_KEY): Stripe {
  return new Stripe(key, { host: '127.0.0.1', port: simulator.port, protocol: 'http', maxNetworkRetries: 0 });
}

/** A PaymentIntent authorised with `paymentMethod` (manual capture), as the checkout flow makes it. */
export async function authorisedPayment(
  stripe: Stripe,
  paymentMethod = 'pm_card_visa',
  amount = 1000,
): Promise<Stripe.PaymentIntent> {
  const created = await stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    capture_method: 'manual',
    metadata: { orderId: 'ord_test' },
  });
  return stripe.paymentIntents.confirm(created.id, { payment_method: paymentMethod });
}

export async function latestCharge(
  stripe: Stripe,
  paymentIntent: Stripe.PaymentIntent,
): Promise<Stripe.Charge> {
  const chargeId = paymentIntent.latest_charge;
  if (typeof chargeId !== 'string') throw new Error(`${paymentIntent.id} has no charge`);
  return stripe.charges.retrieve(chargeId);
}

/** Every event of the simulator, oldest first, read page by page through the SDK. */
export async function allEvents(stripe: Stripe): Promise<Stripe.Event[]> {
  const events: Stripe.Event[] = [];
  for await (const event of stripe.events.list({ limit: 100 })) events.push(event);
  return events.reverse();
}

export function eventsOfType<T extends Stripe.Event['type']>(
  events: readonly Stripe.Event[],
  type: T,
): Extract<Stripe.Event, { type: T }>[] {
  return events.filter((event): event is Extract<Stripe.Event, { type: T }> => event.type === type);
}

export interface ReceivedWebhook {
  readonly rawBody: string;
  readonly signature: string;
}

/**
 * A tiny HTTP endpoint that records what the simulator delivers and answers `status(n)` to the
 * n-th delivery attempt (1-based).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly server: Server;
  private port = 0;

  private constructor(status: (attempt: number) => number) {
    this.server = createServer((request, response) => {
      void readText(request).then((rawBody) => {
        this.received.push({ rawBody, signature: String(request.headers['stripe-signature']) });
        response.writeHead(status(this.received.length)).end();
      });
    });
  }

  static async start(status: (attempt: number) => number = () => 200): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(status);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/webhooks/stripe`;
  }

  eventIds(): string[] {
    return this.received.map((delivery) => (JSON.parse(delivery.rawBody) as { id: string }).id);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** A raw HTTP call to the simulator, for what the SDK cannot express (client-side calls, exact bytes). */
export async function rawCall(
  simulator: StripeSimulator,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  options: { form?: Record<string, string>; json?: object; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const body =
    options.form !== undefined
      ? new URLSearchParams(options.form).toString()
      : options.json !== undefined
        ? JSON.stringify(options.json)
        : undefined;
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: {
      ...(options.form !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text === '' ? null : JSON.parse(text),
  };
}

/** The SDK error a call fails with; fails the test if it succeeds or fails otherwise. */
export async function stripeErrorOf(
  call: Promise<unknown>,
): Promise<InstanceType<typeof Stripe.errors.StripeError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the Stripe call to fail');
}
