import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator } from '../domain/ports.ts';

export const systemClock: Clock = { now: () => new Date() };

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Opaque ids: a prefix and 20 random base-36 characters (~103 bits). */
export const randomIds: IdGenerator = {
  next(prefix: string): string {
    const bytes = randomBytes(20);
    let suffix = '';
    for (const byte of bytes) suffix += alphabet[byte % alphabet.length];
    return `${prefix}${suffix}`;
  },
};
