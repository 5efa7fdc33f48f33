import * as z from 'zod';
import { CountryCode, Currency, MinorUnits } from './schemas.ts';

export const ShippingRate = z.strictObject({
  country: z.union([CountryCode, z.literal('*')]),
  currency: Currency,
  amount: MinorUnits,
  freeOverSubtotal: MinorUnits.optional(),
});
export type ShippingRate = z.infer<typeof ShippingRate>;

/** `US-CA` (ISO 3166-2 subdivision), `US` (country) or `*`. */
const TaxRegion = z.string().regex(/^(\*|[A-Z]{2}(-[A-Z0-9]{1,3})?)$/, 'must be "*", "US" or "US-CA"');

const FraudSettings = z
  .strictObject({
    reviewScore: z.number().int().min(0).max(100).default(50),
    rejectScore: z.number().int().min(0).max(100).default(80),
    maxOrdersPerEmail: z.number().int().min(1).default(5),
    maxOrdersPerIp: z.number().int().min(1).default(10),
    maxOrdersPerCard: z.number().int().min(1).default(5),
    velocityWindowHours: z.number().int().min(1).max(720).default(24),
    largeFirstOrderAmount: MinorUnits.default(50000),
    highRiskCountries: z.array(CountryCode).max(250).default([]),
    reviewTimeoutHours: z.number().int().min(1).max(120).default(72),
  })
  .refine((fraud) => fraud.reviewScore < fraud.rejectScore, {
    message: 'reviewScore must be lower than rejectScore',
    path: ['reviewScore'],
  });

/** A store's settings; every field has the contract's default, so `{}` is a valid store. */
export const StoreSettings = z.strictObject({
  reservationMinutes: z.number().int().min(1).max(1440).default(30),
  shippingRates: z.array(ShippingRate).max(500).default([]),
  taxRates: z.record(TaxRegion, z.number().min(0).max(1)).default({}),
  fulfilment: z.strictObject({ shipWithinHours: z.number().int().min(1).max(8760).default(48) }).prefault({}),
  fraud: FraudSettings.prefault({}),
});
export type StoreSettings = z.infer<typeof StoreSettings>;

export const defaultSettings: StoreSettings = StoreSettings.parse({});

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** RFC 7396 JSON merge patch: objects merge, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
