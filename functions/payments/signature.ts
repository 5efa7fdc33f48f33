/**
 * Stripe's webhook signature, verified with `node:crypto` alone so that the receiver's bundle
 * carries no Stripe SDK. Same rules as the SDK's `constructEvent` (the reference the tests check
 * against): `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` may be an
 * HMAC-SHA256 of `<t>.<raw body>` under the endpoint secret (several during a secret roll), and
 * `t` must be within the tolerance of now, in either direction. Where this is stricter than the
 * SDK (future timestamps, a zero-padded `t`), a header Stripe sends is never affected.
 */
import { anySignatureMatches, hmacSignature, parseSignatureHeader } from '../http/webhook-signature.ts';

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
  // Not lenient: Stripe pads nothing, and the SDK would not accept a padded key either.
  const parsed = parseSignatureHeader(check.header, { lenient: false });
  if (parsed === undefined) return false;
  const tolerance = check.toleranceSeconds ?? signatureToleranceSeconds;
  if (Math.abs(check.nowSeconds - parsed.timestamp) > tolerance) return false;
  return anySignatureMatches(
    parsed.signatures,
    hmacSignature(check.secret, parsed.timestampText, check.rawBody),
  );
}
