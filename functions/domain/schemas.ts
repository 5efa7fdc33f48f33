/**
 * Shared building blocks of the contract's shapes. They validate requests, type the domain, and
 * generate /openapi.json, so a field is described once.
 *
 * Schemas use `zod/mini`: the same validation as classic zod, but built from plain functions, so a
 * Lambda bundle carries and constructs only what it uses (classic zod doubled the checkout
 * function's cold import).
 */

import { createRequire } from 'node:module';
import * as z from 'zod/mini';

type ZodLocales = typeof import('zod/locales');

// zod/mini ships without messages ("Invalid input" for everything); a store's engineer should read
// what was expected instead. The English messages are needed only once a value fails, so they are
// side-loaded (lib/bundling.ts) and required by the first failure rather than at every cold start.
// Named so that esbuild leaves the call alone: a literal `require('…')` would be bundled.
const requireAtRuntime = createRequire(import.meta.url);
let englishMessages: z.core.$ZodErrorMap | undefined;
z.config({
  localeError: (issue) => {
    englishMessages ??= (requireAtRuntime('zod/locales') as ZodLocales).en().localeError;
    return englishMessages?.(issue);
  },
});

/** A lowercase ISO 4217 code, as Stripe writes currencies. */
export const Currency = z
  .string()
  .check(z.regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code such as "usd"'));

/** A non-negative integer amount in the currency's minor unit. */
export const MinorUnits = z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));

export const CountryCode = z
  .string()
  .check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "US"'));

/** RFC 3339 UTC timestamp as the contract writes them. */
export const Timestamp = z.iso.datetime();

export const IanaTimeZone = z
  .string()
  .check(z.refine(isIanaTimeZone, 'must be an IANA time zone such as "Europe/Paris"'));

/** A string of `min`..`max` characters. */
export const text = sharedPerBounds((min, max) => z.string().check(z.minLength(min), z.maxLength(max)));

/** An integer in `min`..`max`. */
export const integer = sharedPerBounds((min, max) => z.int().check(z.minimum(min), z.maximum(max)));

/**
 * One schema per pair of bounds, however many fields use it. A zod schema is immutable (`check`
 * and `describe` return a copy), so fields can share it; and constructing schemas is most of what
 * a handler's cold start costs beyond its AWS client: the checkout request's addresses and
 * customer alone asked for the same few bounds fifteen times.
 */
function sharedPerBounds<T>(build: (min: number, max: number) => T): (min: number, max: number) => T {
  const built = new Map<string, T>();
  return (min, max) => {
    const key = `${min}..${max}`;
    let schema = built.get(key);
    if (schema === undefined) {
      schema = build(min, max);
      built.set(key, schema);
    }
    return schema;
  };
}

/**
 * A schema built on first use. Response shapes only serve /openapi.json: built lazily, they cost
 * the API functions nothing at cold start.
 */
export function lazySchema<T>(build: () => T): () => T {
  let schema: T | undefined;
  return () => {
    schema ??= build();
    return schema;
  };
}

function isIanaTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
