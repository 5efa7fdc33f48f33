/**
 * Fraud screening of one authorised order (contract section 6): gather the signals snapshot, run
 * the pure rules of `domain/fraud.ts` with the store's thresholds, and record the decision
 * through the payment state machine, whose effects do the rest (approve → capture, review →
 * `on_hold`, reject → cancel the PaymentIntent as `fraudulent` and release the stock).
 *
 * At least once: a message may arrive twice, or after the order was decided or cancelled. Only an
 * order whose `fraudStatus` is still `pending` is screened, and the decision is written with the
 * order's version-guarded write, re-checking `pending` on every read, so a decision is recorded
 * once (the state machine resolves conflicting decisions, but the callers must not make them).
 * Velocity counters count each order once whatever the deliveries (see the signals repository).
 */

import {
  type FraudSignals,
  isDisposableEmail,
  normalizeEmail,
  type RiskLevel,
  type ScreeningResult,
  screen,
} from '../domain/fraud.ts';
import type { Order } from '../domain/order.ts';
import { failedAttemptCount, type PaymentEvent } from '../domain/payments.ts';
import type { StoreSettings } from '../domain/settings.ts';
import {
  type EffectDependencies,
  emailDigest,
  type FraudCheck,
  transitionOrder,
} from '../payments/effects.ts';
import type { VelocitySubject } from './signals-repository.ts';

/** The fraud screening's own reads and writes (`FraudSignalsRepository`). */
export interface FraudSignalStore {
  countOrder(
    storeId: string,
    orderId: string,
    subjects: readonly VelocitySubject[],
    at: Date,
  ): Promise<boolean>;
  ordersInWindow(storeId: string, subject: VelocitySubject, at: Date, windowHours: number): Promise<number>;
  isFirstOrder(storeId: string, emailHash: string, orderId: string, at: Date): Promise<boolean>;
  priorDisputes(
    storeId: string,
    emailHash: string,
    cardFingerprint: string | undefined,
  ): Promise<{ email: boolean; card: boolean }>;
}

export interface DisposableDomains {
  readonly domains: ReadonlySet<string>;
  readonly wildcardDomains: ReadonlySet<string>;
}

export interface ScreeningDependencies extends EffectDependencies {
  readonly signals: FraudSignalStore;
  readonly stores: { get(storeId: string): Promise<{ readonly settings: StoreSettings } | undefined> };
  readonly disposableDomains: () => Promise<DisposableDomains>;
  readonly clock: () => Date;
  readonly emailHashKey: () => Promise<string>;
}

export type ScreeningOutcome =
  | { readonly outcome: 'decided'; readonly result: ScreeningResult }
  /** The order no longer waits for screening (decided, cancelled, never authorised): nothing to do. */
  | { readonly outcome: 'skipped' }
  | { readonly outcome: 'missing' };

const riskLevels: readonly string[] = ['normal', 'elevated', 'highest', 'not_assessed', 'unknown'];

export async function screenOrder(deps: ScreeningDependencies, check: FraudCheck): Promise<ScreeningOutcome> {
  const { storeId, orderId } = check;
  const { stored, pendingEffects } = await deps.orders.getWithPendingEffects(storeId, orderId);
  if (stored === undefined) return { outcome: 'missing' };
  if (stored.order.fraudStatus !== 'pending') {
    // Decided already; but the capture or cancel its decision owes may have failed after the
    // decision was written (a Stripe timeout). This redelivery performs what is still owed.
    if (pendingEffects.length > 0) await transitionOrder(deps, check, () => undefined);
    return { outcome: 'skipped' };
  }
  const store = await deps.stores.get(storeId);
  // An order's store is never deleted; if it were, failing sends the message to the DLQ for a look.
  if (store === undefined) throw new Error(`store ${storeId} of order ${orderId} not found`);
  const now = deps.clock();
  const settings = store.settings.fraud;
  const signals = await gatherSignals(deps, storeId, stored.order, settings.velocityWindowHours, now);
  const result = screen(signals, settings);
  const decided: PaymentEvent = {
    kind: 'fraud_decided',
    decision: {
      decision: result.decision,
      score: result.score,
      reasons: result.reasons.map((reason) => ({ ...reason })),
      decidedBy: 'rules',
      decidedAt: now.toISOString(),
    },
  };
  const transition = await transitionOrder(deps, check, (order) =>
    order.fraudStatus === 'pending' ? decided : undefined,
  );
  if (transition.outcome === 'missing') return { outcome: 'missing' };
  return transition.outcome === 'applied' ? { outcome: 'decided', result } : { outcome: 'skipped' };
}

/**
 * The signals snapshot of `order` at `now`: Radar's risk level and the card from the authorised
 * charge; the order's card counted once in the velocity counters, then the counts of the window; the
 * dispute history; failed attempts; first order; disposable email.
 */
export async function gatherSignals(
  deps: Pick<ScreeningDependencies, 'payments' | 'signals' | 'disposableDomains' | 'emailHashKey'>,
  storeId: string,
  order: Order,
  windowHours: number,
  now: Date,
): Promise<FraudSignals> {
  const chargeId = order.paymentFacts?.authorization?.chargeId;
  const charge = chargeId === undefined ? undefined : await deps.payments.retrieveCharge(chargeId);
  const email = normalizeEmail(order.customer.email);
  const emailHash = emailDigest(email, await deps.emailHashKey());
  const emailSubject: VelocitySubject = { kind: 'EMAIL', value: emailHash };
  const ipSubject: VelocitySubject | undefined =
    order.clientIp === undefined ? undefined : { kind: 'IP', value: order.clientIp };
  const cardSubject: VelocitySubject | undefined =
    charge?.cardFingerprint === undefined ? undefined : { kind: 'CARD', value: charge.cardFingerprint };
  // The checkout counted the email and the IP when it created the order; the card is known now.
  if (cardSubject !== undefined) await deps.signals.countOrder(storeId, order.id, [cardSubject], now);
  const inWindow = (subject: VelocitySubject | undefined) =>
    subject === undefined
      ? Promise.resolve(undefined)
      : deps.signals.ordersInWindow(storeId, subject, now, windowHours);
  const [emailCount, ipCount, cardCount, priorDispute, isFirstOrder, disposable] = await Promise.all([
    deps.signals.ordersInWindow(storeId, emailSubject, now, windowHours),
    inWindow(ipSubject),
    inWindow(cardSubject),
    deps.signals.priorDisputes(storeId, emailHash, charge?.cardFingerprint),
    deps.signals.isFirstOrder(storeId, emailHash, order.id, now),
    deps.disposableDomains(),
  ]);
  return {
    order,
    riskLevel: riskLevelOf(charge?.riskLevel),
    cardFingerprint: charge?.cardFingerprint,
    cardCountry: charge?.cardCountry,
    ordersInWindow: { email: emailCount, ip: ipCount, card: cardCount },
    priorDispute,
    failedAttempts: failedAttemptCount(order),
    isFirstOrder,
    disposableEmail: isDisposableEmail(email, disposable.domains, disposable.wildcardDomains),
  };
}

function riskLevelOf(level: string | undefined): RiskLevel {
  if (level === undefined) return undefined;
  // A level a newer API version adds scores like `unknown`: nothing, as the rule says.
  return riskLevels.includes(level) ? (level as RiskLevel) : 'unknown';
}
