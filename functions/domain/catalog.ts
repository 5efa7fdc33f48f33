import * as z from 'zod/mini';
import { Currency, lazySchema, MinorUnits, Timestamp } from './schemas.ts';

const catalogKey = /^[A-Za-z0-9._-]{1,64}$/;
export const Sku = z.string().check(z.regex(catalogKey, 'must match ^[A-Za-z0-9._-]{1,64}$'));
export const CouponCode = z.string().check(z.regex(catalogKey, 'must match ^[A-Za-z0-9._-]{1,64}$'));

export const Product = lazySchema(() =>
  z.object({
    sku: Sku,
    name: z.string(),
    unitAmount: MinorUnits,
    currency: Currency,
    stock: z.int().check(z.minimum(0)),
    active: z.boolean(),
    updatedAt: Timestamp,
  }),
);
export type Product = z.infer<ReturnType<typeof Product>>;

export const Coupon = lazySchema(() =>
  z.object({
    code: CouponCode,
    percentOff: z.optional(z.number()),
    amountOff: z.optional(MinorUnits),
    currency: z.optional(Currency),
    active: z.boolean(),
    expiresAt: z.optional(Timestamp),
    maxRedemptions: z.optional(z.int()),
    redemptions: z.int(),
    updatedAt: Timestamp,
  }),
);
export type Coupon = z.infer<ReturnType<typeof Coupon>>;

/** Why a coupon cannot be redeemed now, or null when it can. */
export function couponUnavailableReason(coupon: Coupon, now: Date): string | null {
  if (!coupon.active) return 'is inactive';
  if (coupon.expiresAt !== undefined && Date.parse(coupon.expiresAt) <= now.getTime()) return 'has expired';
  if (coupon.maxRedemptions !== undefined && coupon.redemptions >= coupon.maxRedemptions) {
    return 'has no redemptions left';
  }
  return null;
}
