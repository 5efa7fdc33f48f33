import * as z from 'zod/mini';
import { CountryCode, Currency, integer, MinorUnits } from './schemas.ts';

export const ShippingRate = z.strictObject({
  country: z.union([CountryCode, z.literal('*')]),
  currency: Currency,
  amount: MinorUnits,
  freeOverSubtotal: z.optional(MinorUnits),
});
export type ShippingRate = z.infer<typeof ShippingRate>;

/** `US-CA` (ISO 3166-2 subdivision), `US` (country) or `*`. */
const TaxRegion = z
  .string()
  .check(z.regex(/^(\*|[A-Z]{2}(-[A-Z0-9]{1,3})?)$/, 'must be "*", "US" or "US-CA"'));

const FraudSettings = z
  .strictObject({
    reviewScore: z._default(integer(0, 100), 50),
    rejectScore: z._default(integer(0, 100), 80),
    maxOrdersPerEmail: z._default(integer(1, 1_000_000), 5),
    maxOrdersPerIp: z._default(integer(1, 1_000_000), 10),
    maxOrdersPerCard: z._default(integer(1, 1_000_000), 5),
    velocityWindowHours: z._default(integer(1, 720), 24),
    largeFirstOrderAmount: z._default(MinorUnits, 50000),
    highRiskCountries: z._default(z.array(CountryCode).check(z.maxLength(250)), []),
    reviewTimeoutHours: z._default(integer(1, 120), 72),
  })
  .check(
    z.refine((fraud) => fraud.reviewScore < fraud.rejectScore, {
      message: 'reviewScore must be lower than rejectScore',
      path: ['reviewScore'],
    }),
  );

/** A store's settings; every field has the contract's default, so `{}` is a valid store. */
export const StoreSettings = z.strictObject({
  reservationMinutes: z._default(integer(1, 1440), 30),
  shippingRates: z._default(z.array(ShippingRate).check(z.maxLength(500)), []),
  taxRates: z._default(z.record(TaxRegion, z.number().check(z.minimum(0), z.maximum(1))), {}),
  fulfilment: z.prefault(z.strictObject({ shipWithinHours: z._default(integer(1, 8760), 48) }), {}),
  fraud: z.prefault(FraudSettings, {}),
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
