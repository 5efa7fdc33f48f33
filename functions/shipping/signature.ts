/**
 * The carriers' webhook signature (contract section 7), verified with `node:crypto` alone:
 * `X-Salesops-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, with
 * `t` within the tolerance of now in either direction. A store may have two valid secrets while it
 * rotates; a `v1` made with either is accepted. Several `v1` values may be sent (a sender in the
 * middle of its own rotation), as in Stripe's scheme that this one follows.
 */
import { anySignatureMatches, hmacSignature, parseSignatureHeader } from '../http/webhook-signature.ts';

/** The contract's tolerance. */
export const signatureToleranceSeconds = 300;

export const signatureHeaderName = 'x-salesops-signature';

export interface SignatureCheck {
  /** The raw request body, byte for byte as it arrived. */
  readonly rawBody: Uint8Array;
  readonly header: string | undefined;
  /** The store's currently valid secrets; none for an unknown store. */
  readonly secrets: readonly string[];
  /** Unix seconds. */
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}

/**
 * Signs for an unknown store, so that it costs what a known store's check costs and the time
 * taken does not tell whether a store id exists.
 */
const decoySecret = 'whsec_ship_decoy_never_valid';

/** True only when the header carries a fresh timestamp and a `v1` of this body under one of `secrets`. */
export function verifyShippingSignature(check: SignatureCheck): boolean {
  // Lenient: the senders are carriers' and aggregators' own code, not one SDK.
  const parsed = parseSignatureHeader(check.header, { lenient: true });
  const secrets = check.secrets.length === 0 ? [decoySecret] : check.secrets;
  const timestampText = parsed?.timestampText ?? '0';
  let matched = false;
  // Every secret is tried, so the time taken does not tell which one matched.
  for (const secret of secrets) {
    const expected = hmacSignature(secret, timestampText, check.rawBody);
    if (anySignatureMatches(parsed?.signatures ?? [], expected)) matched = true;
  }
  if (parsed === undefined || check.secrets.length === 0) return false;
  const tolerance = check.toleranceSeconds ?? signatureToleranceSeconds;
  return matched && Math.abs(check.nowSeconds - parsed.timestamp) <= tolerance;
}

/** The header a sender puts on `rawBody` at `timestamp` (unix seconds). */
export function shippingSignatureHeader(
  secret: string,
  timestamp: number,
  rawBody: Uint8Array | string,
): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `t=${timestamp},v1=${hmacSignature(secret, String(timestamp), body).toString('hex')}`;
}
