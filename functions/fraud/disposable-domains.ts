/**
 * The `disposable-email-domains` lists (~120 000 domains), loaded on first use and kept for the
 * container's life. Only the fraud screening function imports this module, so no other bundle
 * carries the lists.
 */
import type { DisposableDomains } from './screen-order.ts';

let loading: Promise<DisposableDomains> | undefined;

export function disposableDomains(): Promise<DisposableDomains> {
  loading ??= load().catch((error: unknown) => {
    // A failed load is retried by the next screening rather than cached.
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<DisposableDomains> {
  const [domains, wildcard] = await Promise.all([
    import('disposable-email-domains/index.json', { with: { type: 'json' } }),
    import('disposable-email-domains/wildcard.json', { with: { type: 'json' } }),
  ]);
  return { domains: new Set(domains.default), wildcardDomains: new Set(wildcard.default) };
}
