/**
 * Stripe's webhook signature, verified with `node:crypto` alone so that the receiver's bundle
 * carries no Stripe SDK. Same rules as the SDK's `constructEvent` (the reference the tests check
 * against): `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` may be an
 * HMAC-SHA256 of `<t>.<raw body>` under the endpoint secret (several during a secret roll), and
 * `t` must be within the tolerance of now, in either direction. Where this is stricter than the
 * SDK (future timestamps, a zero-padded `t`), a header Stripe sends is never affected.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Stripe's default tolerance, and the contract's. */
export const signatureToleranceSeconds = 300;

export interface SignatureCheck {
  /** The raw request body, byte for byte as it arrived. */
  readonly rawBody: Uint8Array;
  readonly header: string | undefined;
  readonly secret: string;
  /** Unix seconds. */
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}

/** True only when the header carries a fresh timestamp and a `v1` signature of this body. */
export function verifyStripeSignature(check: SignatureCheck): boolean {
  const parsed = parseSignatureHeader(check.header);
  if (parsed === undefined) return false;
  const tolerance = check.toleranceSeconds ?? signatureToleranceSeconds;
  if (Math.abs(check.nowSeconds - parsed.timestamp) > tolerance) return false;
  const expected = createHmac('sha256', check.secret)
    .update(`${parsed.timestampText}.`)
    .update(check.rawBody)
    .digest();
  let matched = false;
  // Every candidate is compared, so the time taken does not tell which one matched.
  for (const candidate of parsed.signatures) {
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched;
}

interface ParsedHeader {
  readonly timestamp: number;
  /** The timestamp exactly as signed. */
  readonly timestampText: string;
  readonly signatures: readonly Buffer[];
}

function parseSignatureHeader(header: string | undefined): ParsedHeader | undefined {
  if (header === undefined || header.length > 4096) return undefined;
  let timestampText: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    // No trimming: Stripe sends none, and the SDK would not accept a padded key either.
    const key = part.slice(0, separator);
    const value = part.slice(separator + 1);
    // Two timestamps make the header ambiguous; other schemes (`v0`) are ignored, as by the SDK.
    if (key === 't') {
      if (timestampText !== undefined) return undefined;
      timestampText = value;
    } else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestampText === undefined || !/^(0|[1-9]\d{0,11})$/.test(timestampText) || signatures.length === 0)
    return undefined;
  return { timestamp: Number(timestampText), timestampText, signatures };
}
