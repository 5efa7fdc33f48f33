/**
 * The signature header of Stripe's webhooks, which the carriers' webhooks copy:
 * `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` an HMAC-SHA256 of `<t>.<raw body>`. Only
 * `node:crypto`, so that a receiver's bundle carries no Stripe SDK. Which secrets apply, the
 * tolerance, and what a check costs when there is no secret are each receiver's to decide.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignatureHeader {
  readonly timestamp: number;
  /** The timestamp exactly as signed. */
  readonly timestampText: string;
  readonly signatures: readonly Buffer[];
}

export interface HeaderSyntax {
  /** Also accepts blanks around keys and values, and upper-case hex. */
  readonly lenient: boolean;
}

/**
 * The header's timestamp and `v1` signatures, or undefined when it has no usable timestamp (none,
 * two, zero-padded, not a number) or no well-formed `v1`.
 */
export function parseSignatureHeader(
  header: string | undefined,
  syntax: HeaderSyntax,
): SignatureHeader | undefined {
  if (header === undefined || header.length > 4096) return undefined;
  const hex = syntax.lenient ? /^[0-9a-fA-F]{64}$/ : /^[0-9a-f]{64}$/;
  let timestampText: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator);
    const value = part.slice(separator + 1);
    const [name, text] = syntax.lenient ? [key.trim(), value.trim()] : [key, value];
    // Two timestamps make the header ambiguous; other schemes (`v0`, later versions) are ignored.
    if (name === 't') {
      if (timestampText !== undefined) return undefined;
      timestampText = text;
    } else if (name === 'v1' && hex.test(text)) {
      signatures.push(Buffer.from(text, 'hex'));
    }
  }
  if (timestampText === undefined || !/^(0|[1-9]\d{0,11})$/.test(timestampText) || signatures.length === 0) {
    return undefined;
  }
  return { timestamp: Number(timestampText), timestampText, signatures };
}

/** The `v1` signature of `rawBody` at `timestampText` under `secret`. */
export function hmacSignature(secret: string, timestampText: string, rawBody: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestampText}.`).update(rawBody).digest();
}

/**
 * True when one of `candidates` is `expected`. Every candidate is compared, in constant time, so
 * the time taken does not tell which one matched.
 */
export function anySignatureMatches(candidates: readonly Buffer[], expected: Buffer): boolean {
  let matched = false;
  for (const candidate of candidates) {
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched;
}
