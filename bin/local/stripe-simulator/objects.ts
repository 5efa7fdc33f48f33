import type Stripe from 'stripe';
import { newClientSecret, newId } from './ids.ts';
import type { TestCard } from './payment-methods.ts';

/**
 * Builders of Stripe's objects, typed as the SDK's own types so that the compiler checks every
 * field against the pinned API version. Objects are immutable: each change makes a new object, so
 * an event's `data.object` stays the snapshot it was when the event happened.
 */

export interface PaymentIntentInput {
  readonly amount: number;
  readonly currency: string;
  readonly captureMethod: Stripe.PaymentIntent.CaptureMethod;
  readonly metadata: Stripe.Metadata;
  readonly description: string | null;
  readonly receiptEmail: string | null;
  readonly statementDescriptorSuffix: string | null;
  readonly paymentMethods: PaymentMethodChoice;
}

/**
 * Either Stripe's default, automatic payment methods, or an explicit list of allowed types. Only
 * cards exist in the simulator, so whatever is allowed resolves to `payment_method_types: ['card']`.
 */
export type PaymentMethodChoice =
  | {
      readonly kind: 'automatic';
      readonly allowRedirects: Stripe.PaymentIntent.AutomaticPaymentMethods.AllowRedirects;
      readonly excluded: readonly Stripe.PaymentIntent.ExcludedPaymentMethodType[] | null;
    }
  | { readonly kind: 'allowed'; readonly allowed: readonly Stripe.PaymentIntent.AllowedPaymentMethodType[] };

export function newPaymentIntent(input: PaymentIntentInput, created: number): Stripe.PaymentIntent {
  const id = newId('pi');
  const choice = input.paymentMethods;
  const automatic = choice.kind === 'automatic';
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: choice.kind === 'allowed' ? [...choice.allowed] : null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: automatic ? { enabled: true, allow_redirects: choice.allowRedirects } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod,
    client_secret: newClientSecret(id),
    confirmation_method: 'automatic',
    created,
    currency: input.currency,
    customer: null,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types:
      choice.kind === 'automatic' && choice.excluded ? [...choice.excluded] : null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: automatic
      ? { id: 'pmc_simulatorDefaultConfig0', parent: null }
      : null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: input.statementDescriptorSuffix,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

/** The fields Stripe.js sees when it retrieves a PaymentIntent with its client secret. */
const PUBLISHABLE_FIELDS = [
  'id',
  'object',
  'amount',
  'amount_details',
  'automatic_payment_methods',
  'canceled_at',
  'cancellation_reason',
  'capture_method',
  'client_secret',
  'confirmation_method',
  'created',
  'currency',
  'description',
  'last_payment_error',
  'latest_charge',
  'livemode',
  'next_action',
  'payment_method',
  'payment_method_types',
  'processing',
  'receipt_email',
  'setup_future_usage',
  'shipping',
  'source',
  'status',
] as const satisfies readonly (keyof Stripe.PaymentIntent)[];

export type PublishablePaymentIntent = Pick<Stripe.PaymentIntent, (typeof PUBLISHABLE_FIELDS)[number]>;

export function publishableView(paymentIntent: Stripe.PaymentIntent): PublishablePaymentIntent {
  return Object.fromEntries(
    PUBLISHABLE_FIELDS.map((field) => [field, paymentIntent[field]]),
  ) as PublishablePaymentIntent;
}

export interface ChargeAttempt {
  readonly paymentIntent: Stripe.PaymentIntent;
  readonly card: TestCard;
  readonly paymentMethodId: string;
  readonly created: number;
}

const CARD_DECLINED_MESSAGE = 'Your card was declined.';

export function newCharge({ paymentIntent, card, paymentMethodId, created }: ChargeAttempt): Stripe.Charge {
  const declined = card.result === 'declined';
  const capturedNow = !declined && paymentIntent.capture_method !== 'manual';
  return {
    id: newId('ch'),
    object: 'charge',
    amount: paymentIntent.amount,
    amount_captured: capturedNow ? paymentIntent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: capturedNow ? newId('txn') : null,
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'SALES OPS LOCAL',
    captured: capturedNow,
    created,
    currency: paymentIntent.currency,
    customer: null,
    description: paymentIntent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: declined ? 'card_declined' : null,
    failure_message: declined ? CARD_DECLINED_MESSAGE : null,
    fraud_details: {},
    livemode: false,
    metadata: paymentIntent.metadata,
    on_behalf_of: null,
    outcome: chargeOutcome(card),
    paid: !declined,
    payment_intent: paymentIntent.id,
    payment_method: paymentMethodId,
    payment_method_details: {
      card: {
        amount_authorized: declined ? null : paymentIntent.amount,
        authorization_code: declined ? null : '123456',
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: card.country,
        electronic_commerce_indicator: null,
        exp_month: card.expMonth,
        exp_year: card.expYear,
        extended_authorization: { status: 'disabled' },
        fingerprint: card.fingerprint,
        funding: card.funding,
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: card.last4,
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: card.brand,
        network_token: { used: false },
        network_transaction_id: declined ? null : '1234567890123456',
        overcapture: { maximum_amount_capturable: paymentIntent.amount, status: 'unavailable' },
        regulated_status: 'unregulated',
        three_d_secure: null,
        transaction_link_id: null,
        wallet: null,
      },
      type: 'card',
    },
    radar_options: {},
    receipt_email: paymentIntent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: paymentIntent.statement_descriptor_suffix,
    status: declined ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

function chargeOutcome(card: TestCard): Stripe.Charge.Outcome {
  const common = {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    risk_level: card.riskLevel,
    risk_score: card.riskScore,
  } as const;
  if (card.result === 'declined') {
    return {
      ...common,
      network_status: 'declined_by_network',
      reason: 'generic_decline',
      seller_message: 'The bank did not return any further details with this decline.',
      type: 'issuer_declined',
    };
  }
  return {
    ...common,
    network_status: 'approved_by_network',
    reason: null,
    seller_message: 'Payment complete.',
    type: 'authorized',
  };
}

/** The `error` Stripe answers (HTTP 402) and keeps in `last_payment_error` for a declined card. */
export function cardDeclinedError(
  charge: Stripe.Charge,
  card: TestCard,
): Stripe.PaymentIntent.LastPaymentError {
  return {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'generic_decline',
    charge: charge.id,
    doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    message: CARD_DECLINED_MESSAGE,
    payment_method: paymentMethodObject(charge, card),
  };
}

function paymentMethodObject(charge: Stripe.Charge, card: TestCard): Stripe.PaymentMethod {
  const paymentMethodId = typeof charge.payment_method === 'string' ? charge.payment_method : '';
  return {
    id: paymentMethodId,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: charge.billing_details,
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      display_brand: card.brand,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      fingerprint: card.fingerprint,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: charge.created,
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

export interface RefundInput {
  readonly charge: Stripe.Charge;
  readonly amount: number;
  readonly reason: Stripe.Refund.Reason | null;
  readonly metadata: Stripe.Metadata;
  readonly created: number;
}

export function newRefund({ charge, amount, reason, metadata, created }: RefundInput): Stripe.Refund {
  return {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: newId('txn'),
    charge: charge.id,
    created,
    currency: charge.currency,
    customer: null,
    customer_account: null,
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
    metadata,
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}

const SECONDS_PER_DAY = 86_400;
const DISPUTE_RESPONSE_DAYS = 7;

export function newDispute(charge: Stripe.Charge, created: number): Stripe.Dispute {
  const brand = charge.payment_method_details?.card?.brand ?? 'visa';
  return {
    id: newId('dp'),
    object: 'dispute',
    amount: charge.amount_captured,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: {
      access_activity_log: null,
      billing_address: null,
      cancellation_policy: null,
      cancellation_policy_disclosure: null,
      cancellation_rebuttal: null,
      customer_communication: null,
      customer_email_address: null,
      customer_name: null,
      customer_purchase_ip: null,
      customer_signature: null,
      duplicate_charge_documentation: null,
      duplicate_charge_explanation: null,
      duplicate_charge_id: null,
      enhanced_evidence: {},
      product_description: null,
      receipt: null,
      refund_policy: null,
      refund_policy_disclosure: null,
      refund_refusal_explanation: null,
      service_date: null,
      service_documentation: null,
      shipping_address: null,
      shipping_carrier: null,
      shipping_date: null,
      shipping_documentation: null,
      shipping_tracking_number: null,
      uncategorized_file: null,
      uncategorized_text: null,
    },
    evidence_details: {
      due_by: created + DISPUTE_RESPONSE_DAYS * SECONDS_PER_DAY,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    network_reason_code: '10.4',
    payment_intent: charge.payment_intent,
    payment_method_details: {
      card: { brand, case_type: 'chargeback', network: brand, network_reason_code: '10.4' },
      type: 'card',
    },
    reason: 'fraudulent',
    status: 'needs_response',
  };
}

export function newEarlyFraudWarning(
  charge: Stripe.Charge,
  actionable: boolean,
  created: number,
): Stripe.Radar.EarlyFraudWarning {
  return {
    id: newId('issfr'),
    object: 'radar.early_fraud_warning',
    actionable,
    charge: charge.id,
    created,
    fraud_type: 'made_with_stolen_card',
    livemode: false,
    ...(charge.payment_intent === null ? {} : { payment_intent: charge.payment_intent }),
  };
}
