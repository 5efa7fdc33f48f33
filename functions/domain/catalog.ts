import * as z from 'zod';
import { Currency, MinorUnits, Timestamp } from './schemas.ts';

export const Sku = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must match ^[A-Za-z0-9._-]{1,64}$');
export const CouponCode = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must match ^[A-Za-z0-9._-]{1,64}$');

export const Product = z.object({
  sku: Sku,
  name: z.string(),
  unitAmount: MinorUnits,
  currency: Currency,
  stock: z.number().int().min(0),
  active: z.boolean(),
  updatedAt: Timestamp,
});
export type Product = z.infer<typeof Product>;

export const Coupon = z.object({
  code: CouponCode,
  percentOff: z.number().optional(),
  amountOff: MinorUnits.optional(),
  currency: Currency.optional(),
  active: z.boolean(),
  expiresAt: Timestamp.optional(),
  maxRedemptions: z.number().int().optional(),
  redemptions: z.number().int(),
  updatedAt: Timestamp,
});
export type Coupon = z.infer<typeof Coupon>;

/** Why a coupon cannot be redeemed now, or null when it can. */
export function couponUnavailableReason(coupon: Coupon, now: Date): string | null {
  if (!coupon.active) return 'is inactive';
  if (coupon.expiresAt !== undefined && Date.parse(coupon.expiresAt) <= now.getTime()) return 'has expired';
  if (coupon.maxRedemptions !== undefined && coupon.redemptions >= coupon.maxRedemptions) {
    return 'has no redemptions left';
  }
  return null;
}
