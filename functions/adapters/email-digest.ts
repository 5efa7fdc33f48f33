import { createHmac } from 'node:crypto';

/**
 * The key of a normalised email in the dispute history, the velocity counters and the first-order
 * records: HMAC-SHA256 with the deployment's secret key (contract section 6), so the email itself
 * is never stored, and a leaked table cannot be checked against a list of emails without the key.
 */
export function emailDigest(normalizedEmail: string, key: string): string {
  return createHmac('sha256', key).update(normalizedEmail).digest('hex');
}
