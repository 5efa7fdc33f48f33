import Stripe from 'stripe';
import { inject } from 'vitest';

/** The official SDK pointed at the local stack's Stripe simulator. */
export function simulatorStripe(): Stripe {
  const url = new URL(inject('stripeUrl'));
  return new Stripe('sk_test_tests', {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}

/** Faults only for requests whose body names `storeId`, so parallel tests keep theirs. */
export async function injectStripeFaults(
  mode: 'error' | 'refuse',
  count: number,
  storeId: string,
): Promise<void> {
  const response = await fetch(`${inject('stripeUrl')}/_simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode, count, bodyIncludes: `metadata[storeId]=${storeId}` }),
  });
  if (!response.ok) throw new Error(`fault injection failed: ${response.status}`);
}

export async function stripeRequests(): Promise<{ method: string; path: string; idempotencyKey?: string }[]> {
  const response = await fetch(`${inject('stripeUrl')}/_simulator/requests`);
  return ((await response.json()) as { data: { method: string; path: string; idempotencyKey?: string }[] })
    .data;
}
