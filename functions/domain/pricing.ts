/**
 * Server-side pricing of a checkout (contract sections 2–4): catalog prices, coupon, shipping rate
 * and tax, each rounded once, half away from zero. Pure: the caller reads the catalog.
 */
import { type Coupon, couponUnavailableReason, type Product } from './catalog.ts';
import {
  AmountOutOfRange,
  CurrencyMismatch,
  type FieldProblem,
  InvalidCoupon,
  UnknownSku,
  UnsupportedCurrency,
} from './errors.ts';
import {
  applyPercent,
  applyRate,
  decimalFromNumber,
  isChargeableAmount,
  isSupportedCurrency,
  maximumChargeAmount,
  minimumChargeAmount,
} from './money.ts';
import type { StoreSettings } from './settings.ts';

export interface PricingInput {
  readonly currency: string;
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
  /** The catalog entries of the requested skus; a missing sku is unknown. */
  readonly products: ReadonlyMap<string, Product>;
  readonly couponCode?: string | undefined;
  readonly coupon?: Coupon | undefined;
  readonly settings: Pick<StoreSettings, 'shippingRates' | 'taxRates'>;
  readonly shippingAddress: { readonly country: string; readonly state?: string | undefined };
  readonly now: Date;
}

export interface PricedLine {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitAmount: number;
  readonly amount: number;
}

export interface Price {
  readonly lines: readonly PricedLine[];
  readonly subtotal: number;
  readonly discount: number;
  readonly shipping: number;
  readonly tax: number;
  readonly total: number;
}

/** Prices a checkout or throws the contract's error for the first rule it breaks. */
export function priceCheckout(input: PricingInput): Price {
  const { currency } = input;
  if (!isSupportedCurrency(currency)) {
    throw new UnsupportedCurrency(`Sales Ops does not sell in the three-decimal currency "${currency}".`, {
      errors: [{ path: '/currency', message: 'three-decimal currencies are not supported' }],
    });
  }
  const lines = priceLines(input);
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const discount = couponDiscount(input, subtotal);
  const discounted = subtotal - discount;
  const shipping = shippingAmount(
    input.settings.shippingRates,
    currency,
    input.shippingAddress.country,
    discounted,
  );
  const rate = taxRate(input.settings.taxRates, input.shippingAddress);
  const tax = rate === undefined ? 0 : applyRate(discounted, decimalFromNumber(rate));
  const total = discounted + shipping + tax;
  if (!isChargeableAmount(currency, total)) {
    throw new AmountOutOfRange(
      `The total ${total} ${currency} is outside what Stripe can charge (${minimumChargeAmount(currency)} to ${maximumChargeAmount}).`,
    );
  }
  return { lines, subtotal, discount, shipping, tax, total };
}

function priceLines(input: PricingInput): PricedLine[] {
  const unknown: FieldProblem[] = [];
  const mismatched: FieldProblem[] = [];
  const lines: PricedLine[] = [];
  input.items.forEach((item, index) => {
    const product = input.products.get(item.sku);
    if (product === undefined || !product.active) {
      unknown.push({ path: `/items/${index}/sku`, message: `unknown or inactive sku "${item.sku}"` });
      return;
    }
    if (product.currency !== input.currency) {
      mismatched.push({
        path: `/items/${index}/sku`,
        message: `"${item.sku}" is priced in ${product.currency}, not ${input.currency}`,
      });
      return;
    }
    const amount = product.unitAmount * item.quantity;
    lines.push({
      sku: item.sku,
      name: product.name,
      quantity: item.quantity,
      unitAmount: product.unitAmount,
      amount,
    });
  });
  if (unknown.length > 0) throw new UnknownSku('Some items are not in the catalog.', { errors: unknown });
  if (mismatched.length > 0) {
    throw new CurrencyMismatch(`Some items are not priced in ${input.currency}.`, { errors: mismatched });
  }
  return lines;
}

function couponDiscount(input: PricingInput, subtotal: number): number {
  if (input.couponCode === undefined) return 0;
  const invalid = (reason: string) =>
    new InvalidCoupon(`The coupon "${input.couponCode}" ${reason}.`, {
      errors: [{ path: '/couponCode', message: reason }],
    });
  const { coupon } = input;
  if (coupon === undefined) throw invalid('does not exist');
  const unavailable = couponUnavailableReason(coupon, input.now);
  if (unavailable !== null) throw invalid(unavailable);
  if (coupon.percentOff !== undefined) return applyPercent(subtotal, coupon.percentOff);
  if (coupon.amountOff !== undefined) {
    if (coupon.currency !== input.currency) throw invalid(`is for ${coupon.currency} orders`);
    return Math.min(coupon.amountOff, subtotal);
  }
  return 0;
}

/** The most specific rate for the country in the order's currency; none → free. */
export function shippingAmount(
  rates: StoreSettings['shippingRates'],
  currency: string,
  country: string,
  discountedSubtotal: number,
): number {
  const inCurrency = rates.filter((rate) => rate.currency === currency);
  const rate =
    inCurrency.find((candidate) => candidate.country === country) ??
    inCurrency.find((candidate) => candidate.country === '*');
  if (rate === undefined) return 0;
  if (rate.freeOverSubtotal !== undefined && discountedSubtotal >= rate.freeOverSubtotal) return 0;
  return rate.amount;
}

/** The most specific rate for the address: subdivision (`US-CA`), then country, then `*`. */
export function taxRate(
  rates: StoreSettings['taxRates'],
  address: { readonly country: string; readonly state?: string | undefined },
): number | undefined {
  const subdivision =
    address.state === undefined ? undefined : `${address.country}-${address.state.toUpperCase()}`;
  return (subdivision === undefined ? undefined : rates[subdivision]) ?? rates[address.country] ?? rates['*'];
}
