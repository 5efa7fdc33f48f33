import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  countryMismatch,
  decide,
  disposableEmail,
  emailDomain,
  type FraudSettings,
  type FraudSignals,
  fraudRules,
  highRiskCountry,
  isDisposableEmail,
  largeFirstOrder,
  normalizeEmail,
  priorDispute,
  repeatedPaymentFailures,
  screen,
  stripeRisk,
  velocityCard,
  velocityEmail,
  velocityIp,
} from '../../functions/domain/fraud.ts';
import { defaultSettings, StoreSettings } from '../../functions/domain/settings.ts';

const defaults: FraudSettings = defaultSettings.fraud;

const order: FraudSignals['order'] = {
  customer: { email: 'Ada@Example.com', type: 'b2c', marketingConsent: false },
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  amounts: { subtotal: 5000, discount: 0, shipping: 0, tax: 0, total: 5000, captured: 0, refunded: 0 },
};

/** A signal snapshot with no signal at all: a returning customer, Radar normal, no velocity. */
function signals(overrides: Partial<FraudSignals> = {}): FraudSignals {
  return {
    order,
    riskLevel: 'normal',
    cardFingerprint: 'fp_1',
    cardCountry: 'US',
    ordersInWindow: { email: 1, ip: 1, card: 1 },
    priorDispute: { email: false, card: false },
    failedAttempts: 0,
    isFirstOrder: false,
    disposableEmail: false,
    ...overrides,
  };
}

const withSettings = (fraud: Partial<FraudSettings>): FraudSettings => StoreSettings.parse({ fraud }).fraud;

describe('fraud rules, one by one', () => {
  it('stripe_risk: 50 for elevated, 80 for highest, nothing otherwise', () => {
    expect(stripeRisk(signals({ riskLevel: 'elevated' }), defaults)).toMatchObject({
      rule: 'stripe_risk',
      points: 50,
    });
    expect(stripeRisk(signals({ riskLevel: 'highest' }), defaults)).toMatchObject({
      rule: 'stripe_risk',
      points: 80,
    });
    for (const riskLevel of ['normal', 'not_assessed', 'unknown', undefined] as const) {
      expect(stripeRisk(signals({ riskLevel }), defaults)).toBeNull();
    }
  });

  it('velocity_email fires only above maxOrdersPerEmail, this order included', () => {
    expect(velocityEmail(signals({ ordersInWindow: { email: 5 } }), defaults)).toBeNull();
    expect(velocityEmail(signals({ ordersInWindow: { email: 6 } }), defaults)).toEqual({
      rule: 'velocity_email',
      points: 50,
      detail: '6 orders from this email within 24 h (limit 5)',
    });
    const strict = withSettings({ maxOrdersPerEmail: 1, velocityWindowHours: 2 });
    expect(velocityEmail(signals({ ordersInWindow: { email: 2 } }), strict)?.detail).toBe(
      '2 orders from this email within 2 h (limit 1)',
    );
  });

  it('velocity_ip fires above maxOrdersPerIp, and not without an IP', () => {
    expect(velocityIp(signals({ ordersInWindow: { email: 1, ip: 10 } }), defaults)).toBeNull();
    expect(velocityIp(signals({ ordersInWindow: { email: 1, ip: 11 } }), defaults)).toMatchObject({
      rule: 'velocity_ip',
      points: 50,
    });
    expect(velocityIp(signals({ ordersInWindow: { email: 99 } }), defaults)).toBeNull();
  });

  it('velocity_card fires above maxOrdersPerCard, and not without a fingerprint', () => {
    expect(velocityCard(signals({ ordersInWindow: { email: 1, card: 5 } }), defaults)).toBeNull();
    expect(velocityCard(signals({ ordersInWindow: { email: 1, card: 6 } }), defaults)).toMatchObject({
      rule: 'velocity_card',
      points: 50,
    });
    expect(velocityCard(signals({ ordersInWindow: { email: 99, ip: 99 } }), defaults)).toBeNull();
  });

  it('country_mismatch: billing or card country differs from the shipping country', () => {
    expect(countryMismatch(signals(), defaults)).toBeNull();
    expect(countryMismatch(signals({ cardCountry: undefined }), defaults)).toBeNull();
    expect(countryMismatch(signals({ cardCountry: 'us' }), defaults)).toBeNull();
    expect(countryMismatch(signals({ cardCountry: 'DE' }), defaults)).toEqual({
      rule: 'country_mismatch',
      points: 20,
      detail: 'card country DE ≠ shipping country US',
    });
    const billedInFrance = {
      ...order,
      billingAddress: { line1: '1 rue', city: 'Paris', postalCode: '75001', country: 'FR' },
    };
    const both = countryMismatch(signals({ order: billedInFrance, cardCountry: 'DE' }), defaults);
    expect(both).toEqual({
      rule: 'country_mismatch',
      points: 20,
      detail: 'billing country FR and card country DE ≠ shipping country US',
    });
    expect(countryMismatch(signals({ order: billedInFrance }), defaults)?.points).toBe(20);
  });

  it('high_risk_country: shipping or card country in highRiskCountries', () => {
    expect(highRiskCountry(signals(), defaults)).toBeNull();
    const risky = withSettings({ highRiskCountries: ['US', 'NG'] });
    expect(highRiskCountry(signals(), risky)).toEqual({
      rule: 'high_risk_country',
      points: 30,
      detail: 'shipping country US and card country US is high-risk',
    });
    const cardOnly = withSettings({ highRiskCountries: ['NG'] });
    expect(highRiskCountry(signals({ cardCountry: 'ng' }), cardOnly)?.detail).toBe(
      'card country NG is high-risk',
    );
    expect(highRiskCountry(signals({ cardCountry: 'FR' }), cardOnly)).toBeNull();
  });

  it('disposable_email: from the signal, naming the domain', () => {
    expect(disposableEmail(signals(), defaults)).toBeNull();
    expect(disposableEmail(signals({ disposableEmail: true }), defaults)).toEqual({
      rule: 'disposable_email',
      points: 25,
      detail: 'example.com is a disposable email domain',
    });
  });

  it('prior_dispute: on the email or the card', () => {
    expect(priorDispute(signals(), defaults)).toBeNull();
    expect(priorDispute(signals({ priorDispute: { email: true, card: false } }), defaults)).toEqual({
      rule: 'prior_dispute',
      points: 80,
      detail: 'a prior dispute in this store on this email',
    });
    expect(priorDispute(signals({ priorDispute: { email: false, card: true } }), defaults)?.points).toBe(80);
    expect(priorDispute(signals({ priorDispute: { email: true, card: true } }), defaults)?.detail).toBe(
      'a prior dispute in this store on this email and card',
    );
  });

  it('repeated_payment_failures: from 3 failed attempts', () => {
    expect(repeatedPaymentFailures(signals({ failedAttempts: 2 }), defaults)).toBeNull();
    expect(repeatedPaymentFailures(signals({ failedAttempts: 3 }), defaults)).toMatchObject({
      rule: 'repeated_payment_failures',
      points: 25,
    });
  });

  it('large_first_order: a first order strictly above largeFirstOrderAmount', () => {
    const large = { ...order, amounts: { ...order.amounts, total: 50_001 } };
    const atLimit = { ...order, amounts: { ...order.amounts, total: 50_000 } };
    expect(largeFirstOrder(signals({ order: large, isFirstOrder: true }), defaults)).toEqual({
      rule: 'large_first_order',
      points: 30,
      detail: 'first order of 50001 exceeds 50000',
    });
    expect(largeFirstOrder(signals({ order: atLimit, isFirstOrder: true }), defaults)).toBeNull();
    expect(largeFirstOrder(signals({ order: large, isFirstOrder: false }), defaults)).toBeNull();
    expect(
      largeFirstOrder(
        signals({ order: atLimit, isFirstOrder: true }),
        withSettings({ largeFirstOrderAmount: 100 }),
      )?.points,
    ).toBe(30);
  });

  it('has one function per rule of the contract', () => {
    expect(fraudRules).toHaveLength(10);
  });
});

describe('screen', () => {
  it("gives the contract's outcomes with default settings and no other signal", () => {
    expect(screen(signals(), defaults)).toEqual({ decision: 'approve', score: 0, reasons: [] });
    expect(screen(signals({ riskLevel: 'elevated' }), defaults)).toMatchObject({
      decision: 'review',
      score: 50,
    });
    expect(screen(signals({ riskLevel: 'highest' }), defaults)).toMatchObject({
      decision: 'reject',
      score: 80,
    });
    expect(screen(signals({ priorDispute: { email: true, card: false } }), defaults).decision).toBe('reject');
    expect(screen(signals({ priorDispute: { email: false, card: true } }), defaults).decision).toBe('reject');
    for (const ordersInWindow of [
      { email: 6, ip: 1, card: 1 },
      { email: 1, ip: 11, card: 1 },
      { email: 1, ip: 1, card: 6 },
    ]) {
      expect(screen(signals({ ordersInWindow }), defaults)).toMatchObject({ decision: 'review', score: 50 });
    }
  });

  it('sums the points of every rule that fired, in the contract order, capped at 100', () => {
    const result = screen(
      signals({
        riskLevel: 'elevated',
        cardCountry: 'DE',
        disposableEmail: true,
        failedAttempts: 3,
      }),
      defaults,
    );
    expect(result.reasons.map((fired) => fired.rule)).toEqual([
      'stripe_risk',
      'country_mismatch',
      'disposable_email',
      'repeated_payment_failures',
    ]);
    expect(result.score).toBe(100);
    expect(result.decision).toBe('reject');

    const below = screen(signals({ cardCountry: 'DE', disposableEmail: true }), defaults);
    expect(below).toMatchObject({ score: 45, decision: 'approve' });
  });

  it("uses the store's thresholds: reject at rejectScore, review at reviewScore", () => {
    const settings = withSettings({ reviewScore: 20, rejectScore: 45 });
    expect(decide(19, settings)).toBe('approve');
    expect(decide(20, settings)).toBe('review');
    expect(decide(44, settings)).toBe('review');
    expect(decide(45, settings)).toBe('reject');
    expect(screen(signals({ cardCountry: 'DE' }), settings).decision).toBe('review');
    expect(screen(signals({ cardCountry: 'DE', disposableEmail: true }), settings).decision).toBe('reject');
    expect(decide(49, defaults)).toBe('approve');
    expect(decide(79, defaults)).toBe('review');
  });
});

describe('emails', () => {
  it('are compared trimmed and lower-cased', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(emailDomain(' Ada@Mail.Example.com')).toBe('mail.example.com');
    expect(emailDomain('no-at-sign')).toBe('');
  });

  it('are disposable when their domain is listed, or under a wildcard domain', () => {
    const domains = new Set(['mailinator.com']);
    const wildcards = new Set(['33mail.com']);
    expect(isDisposableEmail('x@MAILINATOR.com ', domains)).toBe(true);
    expect(isDisposableEmail('x@sub.mailinator.com', domains)).toBe(false);
    expect(isDisposableEmail('x@example.com', domains, wildcards)).toBe(false);
    expect(isDisposableEmail('x@33mail.com', domains, wildcards)).toBe(true);
    expect(isDisposableEmail('x@me.33mail.com', domains, wildcards)).toBe(true);
    expect(isDisposableEmail('x@not33mail.com', domains, wildcards)).toBe(false);
    expect(isDisposableEmail('nobody', domains, wildcards)).toBe(false);
  });

  it('are checked against the disposable-email-domains package as the adapter loads it', () => {
    const require = createRequire(import.meta.url);
    const domains = new Set<string>(require('disposable-email-domains'));
    const wildcards = new Set<string>(require('disposable-email-domains/wildcard.json'));
    expect(domains.size).toBeGreaterThan(100_000);
    expect(isDisposableEmail('shopper@mailinator.com', domains, wildcards)).toBe(true);
    expect(isDisposableEmail('shopper@anything.33mail.com', domains, wildcards)).toBe(true);
    expect(isDisposableEmail('shopper@gmail.com', domains, wildcards)).toBe(false);
  });

  it('are not loaded by the fraud module itself', async () => {
    const source = await import('node:fs/promises').then((fs) =>
      fs.readFile(new URL('../../functions/domain/fraud.ts', import.meta.url), 'utf8'),
    );
    expect(source).not.toMatch(/from ['"]disposable-email-domains/);
    expect(source).not.toMatch(/require\(['"]disposable-email-domains/);
  });
});
