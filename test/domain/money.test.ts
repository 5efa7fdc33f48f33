import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPercent,
  applyRate,
  decimalFromNumber,
  divideRoundHalfAwayFromZero,
  isChargeableAmount,
  isSupportedCurrency,
  isZeroDecimal,
} from '../../functions/domain/money.ts';

describe('money', () => {
  it('reads rates as the decimals people wrote', () => {
    expect(decimalFromNumber(0.0725)).toEqual({ units: 725n, scale: 4 });
    expect(decimalFromNumber(0.1)).toEqual({ units: 1n, scale: 1 });
    expect(decimalFromNumber(1e-7)).toEqual({ units: 1n, scale: 7 });
    expect(decimalFromNumber(15)).toEqual({ units: 15n, scale: 0 });
    expect(decimalFromNumber(1e21)).toEqual({ units: 10n ** 21n, scale: 0 });
  });

  it('rounds half away from zero', () => {
    expect(divideRoundHalfAwayFromZero(5n, 2n)).toBe(3n);
    expect(divideRoundHalfAwayFromZero(-5n, 2n)).toBe(-3n);
    expect(divideRoundHalfAwayFromZero(7n, 3n)).toBe(2n);
    expect(divideRoundHalfAwayFromZero(14n, 4n)).toBe(4n);
  });

  it('applies rates exactly where binary floats drift', () => {
    // 0.0725 × 200 = 14.5 exactly, but 200 * 0.0725 in floats is 14.499999999999998
    expect(Math.round(200 * 0.0725)).toBe(14);
    expect(applyRate(200, decimalFromNumber(0.0725))).toBe(15);
    expect(applyRate(1005, decimalFromNumber(0.1))).toBe(101);
    expect(applyPercent(6347, 15)).toBe(952);
    expect(applyPercent(1001, 12.5)).toBe(125);
    expect(applyPercent(1003, 12.5)).toBe(125);
    expect(applyPercent(1004, 12.5)).toBe(126);
  });

  it('matches exact rational arithmetic for any amount and rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 10_000 }),
        (amount, basisPoints) => {
          const rate = basisPoints / 10_000;
          const exact = amount * basisPoints; // in 1/10000 minor units, an exact integer
          const expected = Math.floor(exact / 10_000) + (exact % 10_000 >= 5_000 ? 1 : 0);
          expect(applyRate(amount, decimalFromNumber(rate))).toBe(expected);
        },
      ),
    );
  });

  it("knows Stripe's currencies", () => {
    expect(isZeroDecimal('jpy')).toBe(true);
    expect(isZeroDecimal('usd')).toBe(false);
    expect(isSupportedCurrency('kwd')).toBe(false);
    expect(isSupportedCurrency('eur')).toBe(true);
    expect(isChargeableAmount('usd', 49)).toBe(false);
    expect(isChargeableAmount('usd', 50)).toBe(true);
    expect(isChargeableAmount('gbp', 30)).toBe(true);
    expect(isChargeableAmount('usd', 100_000_000)).toBe(false);
  });
});
