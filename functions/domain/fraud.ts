/**
 * Fraud screening (contract section 6): each rule is a pure function over a snapshot of signals
 * that the screening consumer gathers (Radar outcome, velocity counters, dispute history…), so
 * the rules and their points are tested without any I/O.
 *
 * The list of disposable email domains is NOT imported here: it has ~120 000 entries, and every
 * bundle that touches the domain would carry it. The screening adapter loads
 * `disposable-email-domains` once and passes a Set to `isDisposableEmail`.
 */
import type { FraudAssessment, Order } from './order.ts';
import type { StoreSettings } from './settings.ts';

export type FraudSettings = StoreSettings['fraud'];

/** Radar's `outcome.risk_level` of the charge; `undefined` when the charge has no outcome. */
export type RiskLevel = 'normal' | 'elevated' | 'highest' | 'not_assessed' | 'unknown' | undefined;

export type FraudRuleName =
  | 'stripe_risk'
  | 'velocity_email'
  | 'velocity_ip'
  | 'velocity_card'
  | 'country_mismatch'
  | 'high_risk_country'
  | 'disposable_email'
  | 'prior_dispute'
  | 'repeated_payment_failures'
  | 'large_first_order';

export interface FraudReason {
  readonly rule: FraudRuleName;
  readonly points: number;
  readonly detail: string;
}

/** What the screening consumer knows about this payment when it screens it. */
export interface FraudSignals {
  readonly order: Pick<Order, 'customer' | 'shippingAddress' | 'billingAddress' | 'amounts'>;
  readonly riskLevel: RiskLevel;
  readonly cardFingerprint?: string | undefined;
  /** ISO 3166-1 alpha-2 country of the card, as Stripe reports it. */
  readonly cardCountry?: string | undefined;
  /** Orders created in the store within `velocityWindowHours`, this one included. */
  readonly ordersInWindow: {
    readonly email: number;
    /** Absent when the store sent no `clientIp`. */
    readonly ip?: number | undefined;
    /** Absent when the charge has no card fingerprint. */
    readonly card?: number | undefined;
  };
  readonly priorDispute: { readonly email: boolean; readonly card: boolean };
  /** Failed payment attempts on this order. */
  readonly failedAttempts: number;
  /** This is the email's first order in the store. */
  readonly isFirstOrder: boolean;
  readonly disposableEmail: boolean;
}

export type FraudRule = (signals: FraudSignals, settings: FraudSettings) => FraudReason | null;

export type FraudDecision = FraudAssessment['decision'];

export interface ScreeningResult {
  readonly decision: FraudDecision;
  readonly score: number;
  readonly reasons: readonly FraudReason[];
}

/** How emails are compared and counted: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The part after the last `@`, normalised like the email; `''` when there is none. */
export function emailDomain(email: string): string {
  const normalized = normalizeEmail(email);
  const at = normalized.lastIndexOf('@');
  return at < 0 ? '' : normalized.slice(at + 1);
}

/**
 * Whether the email's domain is on the `disposable-email-domains` list: `domains` is its
 * `index.json` (exact domains); `wildcardDomains`, its `wildcard.json`, also covers every
 * subdomain of a listed domain (`x.33mail.com`).
 */
export function isDisposableEmail(
  email: string,
  domains: ReadonlySet<string>,
  wildcardDomains: ReadonlySet<string> = new Set(),
): boolean {
  const domain = emailDomain(email);
  if (domain === '') return false;
  if (domains.has(domain)) return true;
  const labels = domain.split('.');
  for (let start = 0; start < labels.length - 1; start++) {
    if (wildcardDomains.has(labels.slice(start).join('.'))) return true;
  }
  return false;
}

const reason = (rule: FraudRuleName, points: number, detail: string): FraudReason => ({
  rule,
  points,
  detail,
});

/** Radar's risk level: 50 for `elevated`, 80 for `highest`; any other level scores nothing. */
export const stripeRisk: FraudRule = ({ riskLevel }) => {
  if (riskLevel === 'elevated') return reason('stripe_risk', 50, 'Radar risk level elevated');
  if (riskLevel === 'highest') return reason('stripe_risk', 80, 'Radar risk level highest');
  return null;
};

function velocity(
  rule: 'velocity_email' | 'velocity_ip' | 'velocity_card',
  what: string,
  count: number | undefined,
  limit: number,
  windowHours: number,
): FraudReason | null {
  if (count === undefined || count <= limit) return null;
  return reason(rule, 50, `${count} orders from this ${what} within ${windowHours} h (limit ${limit})`);
}

export const velocityEmail: FraudRule = (signals, settings) =>
  velocity(
    'velocity_email',
    'email',
    signals.ordersInWindow.email,
    settings.maxOrdersPerEmail,
    settings.velocityWindowHours,
  );

export const velocityIp: FraudRule = (signals, settings) =>
  velocity(
    'velocity_ip',
    'IP address',
    signals.ordersInWindow.ip,
    settings.maxOrdersPerIp,
    settings.velocityWindowHours,
  );

export const velocityCard: FraudRule = (signals, settings) =>
  velocity(
    'velocity_card',
    'card',
    signals.ordersInWindow.card,
    settings.maxOrdersPerCard,
    settings.velocityWindowHours,
  );

/** The billing or the card country differs from the shipping country (one reason for either). */
export const countryMismatch: FraudRule = ({ order, cardCountry }) => {
  const shipping = order.shippingAddress.country;
  const differing: string[] = [];
  const billing = order.billingAddress?.country;
  if (billing !== undefined && billing !== shipping) differing.push(`billing country ${billing}`);
  if (cardCountry !== undefined && cardCountry.toUpperCase() !== shipping) {
    differing.push(`card country ${cardCountry.toUpperCase()}`);
  }
  if (differing.length === 0) return null;
  return reason('country_mismatch', 20, `${differing.join(' and ')} ≠ shipping country ${shipping}`);
};

/** The shipping or the card country is one of the store's `highRiskCountries`. */
export const highRiskCountry: FraudRule = ({ order, cardCountry }, settings) => {
  const risky = new Set(settings.highRiskCountries);
  const found: string[] = [];
  if (risky.has(order.shippingAddress.country))
    found.push(`shipping country ${order.shippingAddress.country}`);
  const card = cardCountry?.toUpperCase();
  if (card !== undefined && risky.has(card)) found.push(`card country ${card}`);
  if (found.length === 0) return null;
  return reason('high_risk_country', 30, `${found.join(' and ')} is high-risk`);
};

export const disposableEmail: FraudRule = ({ disposableEmail, order }) =>
  disposableEmail
    ? reason('disposable_email', 25, `${emailDomain(order.customer.email)} is a disposable email domain`)
    : null;

export const priorDispute: FraudRule = ({ priorDispute }) => {
  const which = [priorDispute.email ? 'email' : undefined, priorDispute.card ? 'card' : undefined].filter(
    (item) => item !== undefined,
  );
  if (which.length === 0) return null;
  return reason('prior_dispute', 80, `a prior dispute in this store on this ${which.join(' and ')}`);
};

export const repeatedPaymentFailures: FraudRule = ({ failedAttempts }) =>
  failedAttempts >= 3
    ? reason('repeated_payment_failures', 25, `${failedAttempts} failed payment attempts on this order`)
    : null;

export const largeFirstOrder: FraudRule = ({ order, isFirstOrder }, settings) =>
  isFirstOrder && order.amounts.total > settings.largeFirstOrderAmount
    ? reason(
        'large_first_order',
        30,
        `first order of ${order.amounts.total} exceeds ${settings.largeFirstOrderAmount}`,
      )
    : null;

/** Every rule, in the contract's order (which is the order of `fraud.reasons`). */
export const fraudRules: readonly FraudRule[] = [
  stripeRisk,
  velocityEmail,
  velocityIp,
  velocityCard,
  countryMismatch,
  highRiskCountry,
  disposableEmail,
  priorDispute,
  repeatedPaymentFailures,
  largeFirstOrder,
];

/** `score ≥ rejectScore` → reject, `≥ reviewScore` → review, otherwise approve. */
export function decide(score: number, settings: FraudSettings): FraudDecision {
  if (score >= settings.rejectScore) return 'reject';
  if (score >= settings.reviewScore) return 'review';
  return 'approve';
}

/** Runs every rule: `score` = min(100, Σ points), with each rule that fired as a reason. */
export function screen(signals: FraudSignals, settings: FraudSettings): ScreeningResult {
  const reasons = fraudRules
    .map((rule) => rule(signals, settings))
    .filter((fired): fired is FraudReason => fired !== null);
  const score = Math.min(
    100,
    reasons.reduce((sum, fired) => sum + fired.points, 0),
  );
  return { decision: decide(score, settings), score, reasons };
}
