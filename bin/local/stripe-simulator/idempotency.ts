import { idempotencyError, invalidParameter, type StripeApiError } from './errors.ts';

/** A response as it went out, kept to be replayed byte for byte. */
export interface SavedResponse {
  readonly status: number;
  readonly body: string;
  readonly requestId: string;
}

interface Entry {
  readonly endpoint: string;
  readonly parameters: string;
  readonly savedAt: number;
  readonly response: SavedResponse;
}

export type IdempotencyLookup =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly response: SavedResponse }
  | { readonly kind: 'conflict'; readonly error: StripeApiError };

const KEPT_FOR_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;

/**
 * Stripe's `Idempotency-Key` semantics for POST requests: the first response under a key (even an
 * error or a 500) is kept for 24 hours and replayed to a request with the same endpoint and
 * parameters; the same key with another endpoint or other parameters is an `idempotency_error`.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly nowMs: () => number) {}

  lookup(key: string, endpoint: string, parameters: string): IdempotencyLookup {
    if (key.length > MAX_KEY_LENGTH) {
      return {
        kind: 'conflict',
        error: invalidParameter(
          'Idempotency-Key',
          `Invalid idempotency key: keys must be at most ${MAX_KEY_LENGTH} characters.`,
        ),
      };
    }
    this.forgetExpired();
    const entry = this.entries.get(key);
    if (entry === undefined) return { kind: 'new' };
    if (entry.endpoint !== endpoint) {
      return {
        kind: 'conflict',
        error: idempotencyError(
          `Keys for idempotent requests can only be used for the same endpoint they were first used for ` +
            `('${entry.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to ` +
            `execute a different request.`,
        ),
      };
    }
    if (entry.parameters !== parameters) {
      return {
        kind: 'conflict',
        error: idempotencyError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
            `Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      };
    }
    return { kind: 'replay', response: entry.response };
  }

  save(key: string, endpoint: string, parameters: string, response: SavedResponse): void {
    this.entries.set(key, { endpoint, parameters, savedAt: this.nowMs(), response });
  }

  /** Entries are in insertion order, hence oldest first: stop at the first one still fresh. */
  private forgetExpired(): void {
    const cutoff = this.nowMs() - KEPT_FOR_MS;
    for (const [key, entry] of this.entries) {
      if (entry.savedAt > cutoff) break;
      this.entries.delete(key);
    }
  }
}
