/**
 * The sweeper's retry of owed payment effects (functions/payments/effects.ts): a capture, cancel,
 * refund, fraud check or dispute record that an order's write committed to and that nothing has
 * performed yet. Its deliveries and their SQS retries normally do; but a Stripe 500 is replayed
 * under the same idempotency key for 24 hours, so a capture can outlast every retry of its message
 * and end in the DLQ, and without a later event of that order it would wait until the
 * authorisation lapsed.
 *
 * Found without a Scan: each pending effect is in the due index (`DUE#effect#<shard>`) from its
 * write plus `owedEffectGraceMs`. Each due one is taken up through its order, as a delivery would
 * (`transitionOrder` with no event: only the owed effects run, under their lease), then deferred
 * by `owedEffectRetryMs`: a performed effect is settled (deleted) first, so only one still owed
 * comes back, an hour later, until Stripe's saved answer for its key has expired.
 */
import type { Clock } from '../domain/ports.ts';
import { type EffectDependencies, transitionOrder } from '../payments/effects.ts';

export interface DueEffect {
  readonly storeId: string;
  readonly orderId: string;
  readonly effectId: string;
}

export interface OwedEffectsOrders {
  dueEffects(now: string, limitPerShard: number): Promise<DueEffect[]>;
  deferEffect(storeId: string, orderId: string, effectId: string, dueAt: string): Promise<void>;
}

export interface OwedEffectsDependencies extends EffectDependencies {
  readonly owed: OwedEffectsOrders;
  readonly clock: Clock;
}

export interface OwedEffectsReport {
  /** Orders whose owed effects were taken up. */
  readonly retried: number;
  readonly failed: number;
}

/**
 * Each is a Stripe call or two, one after another, in a sweep that has 60 s for everything: 32 a
 * minute, some 1 900 an hour, is more than a Stripe outage leaves behind and stays well inside it.
 */
const effectsPerShardPerSweep = 4;

/** How long an effect that is still owed after a retry waits for the next one. */
export const owedEffectRetryMs = 60 * 60_000;

export async function retryOwedEffects(
  deps: OwedEffectsDependencies,
  onFailure: (orderId: string, error: unknown) => void,
): Promise<OwedEffectsReport> {
  const now = deps.clock.now();
  const due = await deps.owed.dueEffects(now.toISOString(), effectsPerShardPerSweep);
  let retried = 0;
  let failed = 0;
  // One order may owe several effects: one pass over the order performs them all.
  const orders = new Map<string, DueEffect[]>();
  for (const effect of due) {
    const key = `${effect.storeId}/${effect.orderId}`;
    orders.set(key, [...(orders.get(key) ?? []), effect]);
  }
  for (const effects of orders.values()) {
    const [first] = effects;
    if (first === undefined) continue;
    try {
      await transitionOrder(deps, first, () => undefined);
      retried++;
    } catch (error) {
      failed++;
      onFailure(first.orderId, error);
    }
    // Settled effects are gone and this does nothing to them; an effect still owed (Stripe still
    // failing, a lease held elsewhere) waits its turn. One that cannot be deferred is due again at
    // the next sweep, and counts as a failure.
    const retryAt = new Date(deps.clock.now().getTime() + owedEffectRetryMs).toISOString();
    for (const effect of effects) {
      await deps.owed
        .deferEffect(effect.storeId, effect.orderId, effect.effectId, retryAt)
        .catch((error: unknown) => {
          failed++;
          onFailure(effect.orderId, error);
        });
    }
  }
  return { retried, failed };
}
