import { describe, expect, it } from 'vitest';
import type { Coupon, Product } from '../../functions/domain/catalog.ts';
import { ApiError } from '../../functions/domain/errors.ts';
import { priceCheckout, shippingAmount, taxRate } from '../../functions/domain/pricing.ts';
import { defaultSettings, mergePatch, StoreSettings } from '../../functions/domain/settings.ts';

const now = new Date('2026-11-28T10:00:00.000Z');
const product = (sku: string, unitAmount: number, extra: Partial<Product> = {}): Product => ({
  sku,
  name: sku,
  unitAmount,
  currency: 'usd',
  stock: 100,
  active: true,
  updatedAt: now.toISOString(),
  ...extra,
});
const coupon = (extra: Partial<Coupon>): Coupon => ({
  code: 'C',
  active: true,
  redemptions: 0,
  updatedAt: now.toISOString(),
  ...extra,
});
const catalog = new Map([
  ['A', product('A', 1299)],
  ['B', product('B', 2450)],
  ['EUR', product('EUR', 100, { currency: 'eur' })],
  ['OFF', product('OFF', 100, { active: false })],
]);
const base = {
  currency: 'usd',
  products: catalog,
  settings: defaultSettings,
  shippingAddress: { country: 'US', state: 'CA' },
  now,
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  return undefined;
}

describe('pricing', () => {
  it('computes total = subtotal − discount + shipping + tax', () => {
    const price = priceCheckout({
      ...base,
      items: [
        { sku: 'A', quantity: 3 },
        { sku: 'B', quantity: 1 },
      ],
      couponCode: 'C',
      coupon: coupon({ percentOff: 15 }),
      settings: {
        ...defaultSettings,
        taxRates: { 'US-CA': 0.0725 },
        shippingRates: [{ country: 'US', currency: 'usd', amount: 599 }],
      },
    });
    expect(price).toMatchObject({ subtotal: 6347, discount: 952, shipping: 599, tax: 391, total: 6385 });
    expect(price.lines).toEqual([
      { sku: 'A', name: 'A', quantity: 3, unitAmount: 1299, amount: 3897 },
      { sku: 'B', name: 'B', quantity: 1, unitAmount: 2450, amount: 2450 },
    ]);
  });

  it('caps an amount-off coupon at the subtotal', () => {
    const price = priceCheckout({
      ...base,
      items: [{ sku: 'A', quantity: 1 }],
      couponCode: 'C',
      coupon: coupon({ amountOff: 1000, currency: 'usd' }),
      settings: { ...defaultSettings, shippingRates: [{ country: '*', currency: 'usd', amount: 500 }] },
    });
    expect(price).toMatchObject({ subtotal: 1299, discount: 1000, shipping: 500, total: 799 });
  });

  it('reports the contract error for each broken rule', () => {
    const items = [{ sku: 'A', quantity: 1 }];
    expect(codeOf(() => priceCheckout({ ...base, items: [{ sku: 'X', quantity: 1 }] }))).toBe('unknown_sku');
    expect(codeOf(() => priceCheckout({ ...base, items: [{ sku: 'OFF', quantity: 1 }] }))).toBe(
      'unknown_sku',
    );
    expect(codeOf(() => priceCheckout({ ...base, items: [{ sku: 'EUR', quantity: 1 }] }))).toBe(
      'currency_mismatch',
    );
    expect(codeOf(() => priceCheckout({ ...base, currency: 'kwd', items }))).toBe('unsupported_currency');
    expect(codeOf(() => priceCheckout({ ...base, items, couponCode: 'C' }))).toBe('invalid_coupon');
    expect(
      codeOf(() =>
        priceCheckout({ ...base, items, couponCode: 'C', coupon: coupon({ percentOff: 5, active: false }) }),
      ),
    ).toBe('invalid_coupon');
    expect(
      codeOf(() =>
        priceCheckout({
          ...base,
          items,
          couponCode: 'C',
          coupon: coupon({ percentOff: 5, expiresAt: now.toISOString() }),
        }),
      ),
    ).toBe('invalid_coupon');
    expect(
      codeOf(() =>
        priceCheckout({
          ...base,
          items,
          couponCode: 'C',
          coupon: coupon({ percentOff: 5, maxRedemptions: 2, redemptions: 2 }),
        }),
      ),
    ).toBe('invalid_coupon');
    expect(
      codeOf(() =>
        priceCheckout({ ...base, items, couponCode: 'C', coupon: coupon({ amountOff: 5, currency: 'eur' }) }),
      ),
    ).toBe('invalid_coupon');
    expect(
      codeOf(() => priceCheckout({ ...base, items, couponCode: 'C', coupon: coupon({ percentOff: 100 }) })),
    ).toBe('amount_out_of_range');
    expect(
      codeOf(() =>
        priceCheckout({
          ...base,
          items: [{ sku: 'B', quantity: 999 }],
          products: new Map([['B', product('B', 999_999)]]),
        }),
      ),
    ).toBe('amount_out_of_range');
  });

  it('picks the most specific shipping rate in the order currency', () => {
    const rates = [
      { country: '*', currency: 'usd', amount: 1500 },
      { country: 'US', currency: 'usd', amount: 500, freeOverSubtotal: 5000 },
      { country: 'US', currency: 'eur', amount: 1 },
    ] as const;
    expect(shippingAmount([...rates], 'usd', 'US', 4999)).toBe(500);
    expect(shippingAmount([...rates], 'usd', 'US', 5000)).toBe(0);
    expect(shippingAmount([...rates], 'usd', 'FR', 100)).toBe(1500);
    expect(shippingAmount([...rates], 'gbp', 'US', 100)).toBe(0);
  });

  it('picks the most specific tax rate: subdivision, country, then *', () => {
    const rates = { 'US-CA': 0.0725, US: 0.05, '*': 0.2 };
    expect(taxRate(rates, { country: 'US', state: 'ca' })).toBe(0.0725);
    expect(taxRate(rates, { country: 'US', state: 'TX' })).toBe(0.05);
    expect(taxRate(rates, { country: 'FR' })).toBe(0.2);
    expect(taxRate({}, { country: 'FR' })).toBeUndefined();
  });
});

describe('settings', () => {
  it('merges as RFC 7396 and validates the result as a whole', () => {
    const merged = mergePatch(defaultSettings, {
      fraud: { reviewScore: 60, highRiskCountries: ['NG'] },
      taxRates: { US: 0.05 },
    });
    expect(StoreSettings.parse(merged).fraud).toMatchObject({
      reviewScore: 60,
      rejectScore: 80,
      highRiskCountries: ['NG'],
    });
    expect(StoreSettings.safeParse(mergePatch(defaultSettings, { fraud: { reviewScore: 80 } })).success).toBe(
      false,
    );
    expect(mergePatch({ a: 1, b: { c: 2 } }, { b: null })).toEqual({ a: 1 });
    expect(mergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
  });
});
