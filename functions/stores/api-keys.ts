/**
 * Store API keys name their store (`sok_<storeId>.<secret>`) so that authenticating costs one
 * read by store id; only the key's SHA-256 is stored (the secret has 256 bits, so a fast hash is
 * enough) and it is compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const prefix = 'sok_';

export function newApiKey(storeId: string): string {
  return `${prefix}${storeId}.${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** The store id a key claims, or undefined when it is not shaped like one of ours. */
export function storeIdOfApiKey(apiKey: string): string | undefined {
  if (!apiKey.startsWith(prefix)) return undefined;
  const dot = apiKey.indexOf('.');
  if (dot <= prefix.length) return undefined;
  return apiKey.slice(prefix.length, dot);
}

export function apiKeyMatches(apiKey: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(apiKey), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export function newShippingWebhookSecret(): string {
  return `whsec_ship_${randomBytes(32).toString('base64url')}`;
}
