/**
 * The errors a use case can end in. Each carries the contract's `code` (section 9); the HTTP
 * layer maps them to a status by class, so no handler decides a status by comparing strings.
 */

/** A problem with one field of the request, as a JSON Pointer into its body (`/items/1/quantity`). */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export type ErrorCode =
  | 'validation_failed'
  | 'invalid_signature'
  | 'unauthorized'
  | 'not_found'
  | 'out_of_stock'
  | 'invalid_state'
  | 'idempotency_key_in_use'
  | 'duplicate_tracking_number'
  | 'payload_too_large'
  | 'unknown_sku'
  | 'currency_mismatch'
  | 'unsupported_currency'
  | 'amount_out_of_range'
  | 'invalid_coupon'
  | 'idempotency_key_reused'
  | 'over_fulfilment'
  | 'refund_exceeds_captured'
  | 'rate_limited'
  | 'internal'
  | 'upstream_unavailable';

/** Base of every error that a client may see; `detail` is written for the store's engineer. */
export abstract class ApiError extends Error {
  abstract readonly code: ErrorCode;
  readonly errors: readonly FieldProblem[] | undefined;

  constructor(detail: string, options?: { errors?: readonly FieldProblem[]; cause?: unknown }) {
    super(detail, { cause: options?.cause });
    this.name = new.target.name;
    this.errors = options?.errors;
  }
}

export class ValidationFailed extends ApiError {
  readonly code = 'validation_failed';
}
export class InvalidSignature extends ApiError {
  readonly code = 'invalid_signature';
}
export class Unauthorized extends ApiError {
  readonly code = 'unauthorized';
}
export class NotFound extends ApiError {
  readonly code = 'not_found';
}
export class OutOfStock extends ApiError {
  readonly code = 'out_of_stock';
}
export class InvalidState extends ApiError {
  readonly code = 'invalid_state';
}
export class IdempotencyKeyInUse extends ApiError {
  readonly code = 'idempotency_key_in_use';
}
export class PayloadTooLarge extends ApiError {
  readonly code = 'payload_too_large';
}
export class UnknownSku extends ApiError {
  readonly code = 'unknown_sku';
}
export class CurrencyMismatch extends ApiError {
  readonly code = 'currency_mismatch';
}
export class UnsupportedCurrency extends ApiError {
  readonly code = 'unsupported_currency';
}
export class AmountOutOfRange extends ApiError {
  readonly code = 'amount_out_of_range';
}
export class InvalidCoupon extends ApiError {
  readonly code = 'invalid_coupon';
}
export class IdempotencyKeyReused extends ApiError {
  readonly code = 'idempotency_key_reused';
}
export class OverFulfilment extends ApiError {
  readonly code = 'over_fulfilment';
}
export class DuplicateTrackingNumber extends ApiError {
  readonly code = 'duplicate_tracking_number';
}
export class RefundExceedsCaptured extends ApiError {
  readonly code = 'refund_exceeds_captured';
}
/** A dependency (Stripe) failed or timed out; the request may be retried with the same key. */
export class UpstreamUnavailable extends ApiError {
  readonly code = 'upstream_unavailable';
}
