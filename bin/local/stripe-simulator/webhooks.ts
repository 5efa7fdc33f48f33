import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type Stripe from 'stripe';

/** Stripe's `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`. */
export function signatureHeader(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export interface WebhookSenderOptions {
  readonly url: string;
  readonly secret: string;
  /** Unix seconds, for the signature's timestamp. */
  readonly clock: () => number;
  /** Waits before each retry of a failed automatic delivery; after the last one it gives up. */
  readonly retryDelaysMs: readonly number[];
  readonly onDelivered: (eventId: string) => void;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
}

/**
 * Sends events to one webhook endpoint as Stripe does: a POST of the pretty-printed event JSON,
 * signed with the endpoint's secret. Automatic deliveries run in the background and retry a few
 * times with a short backoff, then give up without a sound: the endpoint may not exist yet.
 */
export class WebhookSender {
  private readonly agent: http.Agent;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly openRequests = new Set<http.ClientRequest>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resume: () => void }>();
  private closed = false;

  constructor(private readonly options: WebhookSenderOptions) {
    const target = new URL(options.url);
    this.agent =
      target.protocol === 'https:'
        ? new https.Agent({ keepAlive: true })
        : new http.Agent({ keepAlive: true });
  }

  /** Texts that hold back the automatic delivery of the events that contain them (`hold`). */
  private readonly holds: string[] = [];
  private readonly held: Stripe.Event[] = [];

  /**
   * Holds back the automatic delivery of every event whose JSON contains `bodyIncludes` until
   * `release`: Stripe retries a failing endpoint for days, so an event may arrive long after
   * the object it names changed (a refund seen the next day, for instance).
   */
  hold(bodyIncludes: string): void {
    this.holds.push(bodyIncludes);
  }

  /** Ends every hold and starts the held deliveries, oldest first; answers how many there were. */
  release(): number {
    this.holds.length = 0;
    const released = this.held.splice(0);
    for (const event of released) this.enqueue(event);
    return released.length;
  }

  /** Starts a delivery with retries; never throws and never blocks the caller. */
  enqueue(event: Stripe.Event): void {
    if (this.closed) return;
    if (this.holds.length > 0) {
      const json = JSON.stringify(event);
      if (this.holds.some((text) => json.includes(text))) {
        this.held.push(event);
        return;
      }
    }
    const delivery = this.deliverWithRetries(event).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** One attempt, as the Dashboard's "Resend": rejects when the endpoint does not answer 2xx. */
  async redeliver(event: Stripe.Event): Promise<void> {
    // A kept-alive socket that the endpoint closed as it was reused fails before any byte is
    // answered; one fresh attempt tells that apart from an endpoint that refuses the event.
    const status = await this.post(event).catch((error: unknown) => {
      if (isStaleSocket(error)) return this.post(event);
      throw error;
    });
    if (status < 200 || status >= 300) {
      throw new WebhookDeliveryError(`the webhook endpoint answered ${status} for ${event.id}`);
    }
    this.options.onDelivered(event.id);
  }

  /** Resolves once every delivery started so far has succeeded or given up. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  close(): void {
    this.closed = true;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.resume();
    }
    for (const request of this.openRequests) request.destroy();
    this.agent.destroy();
  }

  private async deliverWithRetries(event: Stripe.Event): Promise<void> {
    await this.pause(0);
    for (let attempt = 0; !this.closed; attempt += 1) {
      const status = await this.post(event).catch(() => 0);
      if (status >= 200 && status < 300) {
        this.options.onDelivered(event.id);
        return;
      }
      const delay = this.options.retryDelaysMs[attempt];
      if (delay === undefined) return;
      await this.pause(delay);
    }
  }

  /** A timer that `close()` can cut short, so no delivery outlives the simulator. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        resume: resolve,
      };
      this.waits.add(wait);
    });
  }

  /** Resolves with the HTTP status; rejects on a connection error. */
  private post(event: Stripe.Event): Promise<number> {
    if (this.closed) return Promise.reject(new WebhookDeliveryError('the Stripe simulator is closed'));
    const payload = JSON.stringify(event, null, 2);
    const target = new URL(this.options.url);
    const send = target.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const request = send(target, {
        method: 'POST',
        agent: this.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(payload),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signatureHeader(payload, this.options.secret, this.options.clock()),
        },
      });
      this.openRequests.add(request);
      request.on('close', () => this.openRequests.delete(request));
      request.on('timeout', () =>
        request.destroy(new WebhookDeliveryError('the webhook endpoint timed out')),
      );
      request.on('error', reject);
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      });
      request.end(payload);
    });
  }
}

function isStaleSocket(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
