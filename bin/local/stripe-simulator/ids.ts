import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random base-62 text; the modulo bias of 256 % 62 is irrelevant for identifiers. */
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += ALPHABET[byte % ALPHABET.length];
  return token;
}

/** Object prefixes as Stripe's: `pi_`, `ch_`, `re_`, `dp_`, `evt_`, `issfr_`, `pm_`, `txn_`, `req_`. */
export type IdPrefix = 'pi' | 'ch' | 're' | 'dp' | 'evt' | 'issfr' | 'pm' | 'txn' | 'req' | 'pmc';

export function newId(prefix: IdPrefix): string {
  // Stripe's ids carry 24 characters after the prefix; request ids 14.
  return `${prefix}_${randomToken(prefix === 'req' ? 14 : 24)}`;
}

export function newClientSecret(paymentIntentId: string): string {
  return `${paymentIntentId}_secret_${randomToken(25)}`;
}
