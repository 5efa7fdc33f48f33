/**
 * Shared building blocks of the contract's shapes. They validate requests, type the domain, and
 * generate /openapi.json, so a field is described once.
 */
import * as z from 'zod';

/** A lowercase ISO 4217 code, as Stripe writes currencies. */
export const Currency = z.string().regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code such as "usd"');

/** An amount in the currency's minor unit. */
export const MinorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "US"');

/** RFC 3339 UTC timestamp as the contract writes them. */
export const Timestamp = z.iso.datetime();

export const IanaTimeZone = z
  .string()
  .refine(isIanaTimeZone, 'must be an IANA time zone such as "Europe/Paris"');

function isIanaTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
