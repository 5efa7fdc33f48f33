/**
 * Money is integer minor units (as Stripe counts them); rates are exact decimals. Nothing here
 * ever multiplies money by a binary float.
 */

/** Stripe's zero-decimal currencies: their minor unit is the major unit. */
const zeroDecimalCurrencies = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Stripe's three-decimal currencies, which Sales Ops does not sell in (`unsupported_currency`). */
const threeDecimalCurrencies = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/**
 * Stripe's minimum charge per currency, in minor units. Currencies not listed take 50, which is the
 * minimum of the USD-equivalent currencies Stripe documents.
 */
const minimumChargeAmounts: Readonly<Record<string, number>> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

/** Stripe accepts amounts up to eight digits. */
export const maximumChargeAmount = 99_999_999;

export function isZeroDecimal(currency: string): boolean {
  return zeroDecimalCurrencies.has(currency);
}

export function isSupportedCurrency(currency: string): boolean {
  return !threeDecimalCurrencies.has(currency);
}

export function minimumChargeAmount(currency: string): number {
  return minimumChargeAmounts[currency] ?? 50;
}

export function isChargeableAmount(currency: string, amount: number): boolean {
  return amount >= minimumChargeAmount(currency) && amount <= maximumChargeAmount;
}

/** An exact decimal number as numerator / 10^scale. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/**
 * Reads a rate the way a person wrote it: JSON `0.0725` means 725/10000. JavaScript prints a
 * number with the shortest digits that read back to it, so the decimal text is recovered exactly.
 */
export function decimalFromNumber(value: number): Decimal {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const [mantissa = '0', exponentText] = value.toString().toLowerCase().split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const negative = mantissa.startsWith('-');
  const [whole = '0', fraction = ''] = mantissa.replace('-', '').split('.');
  let digits = BigInt(whole + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: negative ? -digits : digits, scale };
}

/** Divides and rounds half away from zero, in integers only. */
export function divideRoundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (2n * n + d) / (2n * d);
  return negative ? -quotient : quotient;
}

/** `amount × rate`, rounded half away from zero to a whole minor unit. */
export function applyRate(amount: number, rate: Decimal): number {
  return Number(divideRoundHalfAwayFromZero(BigInt(amount) * rate.units, 10n ** BigInt(rate.scale)));
}

/** `amount × percent / 100`, rounded half away from zero; `percent` may have decimals (12.5). */
export function applyPercent(amount: number, percent: number): number {
  const rate = decimalFromNumber(percent);
  return applyRate(amount, { units: rate.units, scale: rate.scale + 2 });
}
