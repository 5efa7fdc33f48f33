/**
 * The ports through which use cases reach the outside world. Adapters (DynamoDB, Stripe, the
 * system clock) implement them; tests pass in-memory or fixed ones.
 */

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new opaque id with the contract's prefix (`ord_`, `str_`, …). */
  next(prefix: string): string;
}

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded'
  // A status a newer API version may add: treated as "not cancellable by us" wherever it matters.
  | (string & {});

export interface PaymentIntentView {
  readonly id: string;
  readonly status: PaymentIntentStatus;
  readonly amount: number;
  readonly currency: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The charge of the latest payment attempt, once there was one (Radar's outcome, the card). */
  readonly latestChargeId?: string | undefined;
}

export type CancellationReason = 'abandoned' | 'duplicate' | 'fraudulent' | 'requested_by_customer';

/**
 * The payment provider. Every mutating call takes an idempotency key unique to that attempt:
 * Stripe replays a saved 500 for 24 h under the same key, so a retry must not reuse it.
 * Failures the caller may retry surface as `PaymentProviderUnavailable`.
 */
export interface PaymentGateway {
  createPaymentIntent(input: {
    readonly amount: number;
    readonly currency: string;
    readonly storeId: string;
    readonly orderId: string;
    readonly idempotencyKey: string;
  }): Promise<{ readonly id: string; readonly clientSecret: string }>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentView>;
  /** Cancels; a PaymentIntent that is already cancelled counts as success. */
  cancelPaymentIntent(
    id: string,
    reason: CancellationReason,
    idempotencyKey: string,
  ): Promise<PaymentIntentView>;
}

export interface RefundView {
  readonly id: string;
  readonly amount: number;
  /** Stripe's refund status, as it is now. */
  readonly status: string;
  /** RFC 3339. */
  readonly created: string;
  /** The refund request that made it (our `metadata.requestKey`), for refunds made through us. */
  readonly requestKey?: string | undefined;
}

export interface DisputeView {
  readonly id: string;
  readonly amount: number;
  /** Stripe's dispute status, as it is now. */
  readonly status: string;
  /** RFC 3339. */
  readonly created: string;
  readonly chargeId: string | undefined;
}

export interface ChargeView {
  readonly id: string;
  readonly cardFingerprint: string | undefined;
  /** Radar's `outcome.risk_level` (fraud screening); absent when the charge has no outcome. */
  readonly riskLevel?: string | undefined;
  /** The card's ISO 3166-1 alpha-2 country, as Stripe reports it. */
  readonly cardCountry?: string | undefined;
}

/**
 * What the payment events consumer asks of the provider besides `PaymentGateway`: the effects of
 * the payment state machine, and re-reads of objects whose event payload may be stale. The
 * idempotency key of each mutating call is the caller's (see the consumer for its scheme).
 */
export interface PaymentEventsGateway {
  /** Captures; a PaymentIntent that is already captured counts as success. */
  capturePaymentIntent(id: string, amount: number, idempotencyKey: string): Promise<PaymentIntentView>;
  refund(input: {
    readonly paymentIntentId: string;
    readonly amount: number;
    readonly reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
    readonly metadata: Readonly<Record<string, string>>;
    readonly idempotencyKey: string;
  }): Promise<RefundView>;
  /** Every refund of the charge, as Stripe reports it now. */
  listRefunds(chargeId: string): Promise<RefundView[]>;
  retrieveDispute(id: string): Promise<DisputeView>;
  retrieveCharge(id: string): Promise<ChargeView>;
}

/** The provider failed, timed out or could not be reached; nothing it did may be assumed. */
export class PaymentProviderUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentProviderUnavailable';
  }
}

/** The provider refused the request as invalid in the PaymentIntent's current state. */
export class PaymentProviderRejected extends Error {
  constructor(
    message: string,
    readonly providerCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PaymentProviderRejected';
  }
}
