import type Stripe from 'stripe';
import { isZeroDecimal } from '../../../functions/domain/money.ts';
import {
  invalidParameter,
  invalidRequestError,
  resourceMissing,
  StripeApiError,
  unexpectedPaymentIntentState,
} from './errors.ts';
import { AUTOMATIC_REQUEST, type EventLog, type EventRequest } from './events.ts';
import { newId } from './ids.ts';
import {
  cardDeclinedError,
  newCharge,
  newDispute,
  newEarlyFraudWarning,
  newPaymentIntent,
  newRefund,
  type PaymentIntentInput,
} from './objects.ts';
import { findTestCard, type TestCard } from './payment-methods.ts';
import { ObjectCollection } from './store.ts';

export interface PaymentIntentChanges {
  readonly amount?: number | undefined;
  readonly currency?: string | undefined;
  readonly description?: string | undefined;
  readonly receiptEmail?: string | undefined;
  /** Stripe's metadata update: an empty value removes the key, `null` removes them all. */
  readonly metadata?: Readonly<Record<string, string>> | null | undefined;
}

export interface RefundRequest {
  readonly paymentIntent: string | undefined;
  readonly charge: string | undefined;
  readonly amount: number | undefined;
  readonly reason: Stripe.Refund.Reason | undefined;
  readonly metadata: Stripe.Metadata;
}

const CANCELABLE: readonly Stripe.PaymentIntent.Status[] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];
const CONFIRMABLE: readonly Stripe.PaymentIntent.Status[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
const OPEN_DISPUTE: readonly Stripe.Dispute.Status[] = [
  'needs_response',
  'under_review',
  'warning_needs_response',
  'warning_under_review',
];

/**
 * The simulated Stripe account: its objects and the state machine of payments. Every change is
 * announced through the event log, with the request that caused it (or none for Stripe's own
 * actions such as disputes and early fraud warnings).
 */
export class SimulatedAccount {
  readonly paymentIntents = new ObjectCollection<Stripe.PaymentIntent>('payment_intent');
  readonly charges = new ObjectCollection<Stripe.Charge>('charge');
  readonly refunds = new ObjectCollection<Stripe.Refund>('refund');
  readonly disputes = new ObjectCollection<Stripe.Dispute>('dispute');
  readonly earlyFraudWarnings = new ObjectCollection<Stripe.Radar.EarlyFraudWarning>(
    'radar.early_fraud_warning',
  );
  /** The card behind each PaymentMethod id minted from a test token, and behind each charge. */
  private readonly paymentMethodCards = new Map<string, TestCard>();
  private readonly chargeCards = new Map<string, TestCard>();

  constructor(
    private readonly clock: () => number,
    private readonly events: EventLog,
  ) {}

  /** Any stored object by id, for `expand[]`. */
  findObject(id: string): object | undefined {
    return (
      this.paymentIntents.find(id) ??
      this.charges.find(id) ??
      this.refunds.find(id) ??
      this.disputes.find(id) ??
      this.earlyFraudWarnings.find(id)
    );
  }

  createPaymentIntent(
    input: PaymentIntentInput & { readonly paymentMethod: string | undefined; readonly confirm: boolean },
    request: EventRequest,
  ): Stripe.PaymentIntent {
    let paymentIntent = newPaymentIntent(input, this.clock());
    if (input.paymentMethod !== undefined) {
      paymentIntent = {
        ...paymentIntent,
        payment_method: this.mintPaymentMethod(input.paymentMethod),
        status: 'requires_confirmation',
      };
    }
    this.paymentIntents.save(paymentIntent);
    this.events.emit('payment_intent.created', paymentIntent, request);
    return input.confirm ? this.confirmPaymentIntent(paymentIntent.id, undefined, request) : paymentIntent;
  }

  updatePaymentIntent(id: string, changes: PaymentIntentChanges): Stripe.PaymentIntent {
    const current = this.paymentIntents.get(id, 'intent');
    const changesAmount = changes.amount !== undefined || changes.currency !== undefined;
    if (changesAmount && !CONFIRMABLE.includes(current.status)) {
      throw unexpectedPaymentIntentState(current, {
        verb: 'update the amount or currency of',
        pastParticiple: 'updated',
        allowed: CONFIRMABLE,
      });
    }
    return this.paymentIntents.save({
      ...current,
      amount: changes.amount ?? current.amount,
      currency: changes.currency ?? current.currency,
      description: changes.description ?? current.description,
      receipt_email: changes.receiptEmail ?? current.receipt_email,
      metadata:
        changes.metadata === undefined
          ? current.metadata
          : changes.metadata === null
            ? {}
            : mergeMetadata(current.metadata, changes.metadata),
    });
  }

  /**
   * One payment attempt: a Charge is created, succeeded or failed. A decline leaves the
   * PaymentIntent in `requires_payment_method` with `last_payment_error` and answers Stripe's 402.
   */
  confirmPaymentIntent(
    id: string,
    paymentMethod: string | undefined,
    request: EventRequest,
  ): Stripe.PaymentIntent {
    const current = this.paymentIntents.get(id, 'intent');
    if (current.status === 'succeeded') {
      throw invalidRequestError(
        'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
        { code: 'payment_intent_unexpected_state', payment_intent: current },
      );
    }
    if (!CONFIRMABLE.includes(current.status)) {
      throw unexpectedPaymentIntentState(current, {
        verb: 'confirm',
        pastParticiple: 'confirmed',
        allowed: CONFIRMABLE,
      });
    }
    const paymentMethodId =
      paymentMethod !== undefined ? this.mintPaymentMethod(paymentMethod) : current.payment_method;
    const card =
      typeof paymentMethodId === 'string' ? this.paymentMethodCards.get(paymentMethodId) : undefined;
    if (typeof paymentMethodId !== 'string' || card === undefined) {
      throw invalidRequestError(
        "You cannot confirm this PaymentIntent because it's missing a payment method. Pass `payment_method` " +
          '(one of the test payment methods, e.g. pm_card_visa).',
        { code: 'payment_intent_unexpected_state', payment_intent: current },
      );
    }
    const created = this.clock();
    const charge = this.charges.save(newCharge({ paymentIntent: current, card, paymentMethodId, created }));
    this.chargeCards.set(charge.id, card);

    if (card.result === 'declined') {
      const failure = cardDeclinedError(charge, card);
      const failed = this.paymentIntents.save({
        ...current,
        status: 'requires_payment_method',
        payment_method: null,
        latest_charge: charge.id,
        last_payment_error: failure,
      });
      this.events.emit('charge.failed', charge, request);
      this.events.emit('payment_intent.payment_failed', failed, request);
      throw new StripeApiError(402, { ...failure, payment_intent: failed });
    }

    const manual = current.capture_method === 'manual';
    const authorised = this.paymentIntents.save({
      ...current,
      status: manual ? 'requires_capture' : 'succeeded',
      amount_capturable: manual ? current.amount : 0,
      amount_received: manual ? 0 : current.amount,
      payment_method: paymentMethodId,
      latest_charge: charge.id,
      last_payment_error: null,
    });
    this.events.emit('charge.succeeded', charge, request);
    if (manual) {
      this.events.emit('payment_intent.amount_capturable_updated', authorised, request);
    } else {
      this.events.emit('payment_intent.succeeded', authorised, request);
      this.disputeIfTriggered(charge);
    }
    return authorised;
  }

  capturePaymentIntent(
    id: string,
    amountToCapture: number | undefined,
    request: EventRequest,
  ): Stripe.PaymentIntent {
    const current = this.paymentIntents.get(id, 'intent');
    if (current.status !== 'requires_capture') {
      throw unexpectedPaymentIntentState(current, {
        verb: 'capture',
        pastParticiple: 'captured',
        allowed: ['requires_capture'],
      });
    }
    const amount = amountToCapture ?? current.amount_capturable;
    if (amount <= 0 || amount > current.amount_capturable) {
      throw invalidRequestError(
        `The amount to capture (${amount}) must be a positive integer no larger than the amount capturable ` +
          `(${current.amount_capturable}).`,
        { code: 'amount_too_large', param: 'amount_to_capture' },
      );
    }
    const charge = this.charges.save({
      ...this.latestCharge(current),
      captured: true,
      amount_captured: amount,
      balance_transaction: newId('txn'),
    });
    const captured = this.paymentIntents.save({
      ...current,
      status: 'succeeded',
      amount_capturable: 0,
      amount_received: amount,
    });
    this.events.emit('charge.captured', charge, request);
    this.events.emit('payment_intent.succeeded', captured, request);
    this.disputeIfTriggered(charge);
    return captured;
  }

  /** Cancelling releases an uncaptured authorisation; like Stripe, no Refund object is created. */
  cancelPaymentIntent(
    id: string,
    reason: Stripe.PaymentIntent.CancellationReason | undefined,
    request: EventRequest,
  ): Stripe.PaymentIntent {
    const current = this.paymentIntents.get(id, 'intent');
    if (!CANCELABLE.includes(current.status)) {
      throw unexpectedPaymentIntentState(current, {
        verb: 'cancel',
        pastParticiple: 'canceled',
        allowed: CANCELABLE,
      });
    }
    const canceled = this.paymentIntents.save({
      ...current,
      status: 'canceled',
      amount_capturable: 0,
      canceled_at: this.clock(),
      cancellation_reason: reason ?? null,
    });
    this.events.emit('payment_intent.canceled', canceled, request);
    return canceled;
  }

  createRefund(input: RefundRequest, request: EventRequest): Stripe.Refund {
    const charge = this.refundableCharge(input);
    const remaining = charge.amount_captured - charge.amount_refunded;
    if (remaining <= 0) {
      throw invalidRequestError(`Charge ${charge.id} has already been refunded.`, {
        code: 'charge_already_refunded',
      });
    }
    const amount = input.amount ?? remaining;
    if (amount <= 0)
      throw invalidParameter('amount', 'Invalid positive integer', 'parameter_invalid_integer');
    if (amount > remaining) {
      throw invalidRequestError(
        `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge ` +
          `(${formatAmount(remaining, charge.currency)})`,
        { code: 'amount_too_large', param: 'amount' },
      );
    }
    const refund = this.refunds.save(
      newRefund({
        charge,
        amount,
        reason: input.reason ?? null,
        metadata: input.metadata,
        created: this.clock(),
      }),
    );
    const amountRefunded = charge.amount_refunded + amount;
    const refundedCharge = this.charges.save({
      ...charge,
      amount_refunded: amountRefunded,
      refunded: amountRefunded === charge.amount_captured,
    });
    this.events.emit('charge.refunded', refundedCharge, request);
    this.events.emit('refund.created', refund, request);
    return refund;
  }

  closeDispute(
    id: string,
    outcome: 'won' | 'lost',
    request: EventRequest = AUTOMATIC_REQUEST,
  ): Stripe.Dispute {
    const current = this.disputes.get(id, 'dispute');
    if (!OPEN_DISPUTE.includes(current.status)) {
      throw invalidRequestError(`This dispute is already closed (status ${current.status}).`);
    }
    const closed = this.disputes.save({ ...current, status: outcome });
    this.events.emit('charge.dispute.closed', closed, request);
    return closed;
  }

  createEarlyFraudWarning(chargeId: string, actionable: boolean): Stripe.Radar.EarlyFraudWarning {
    const charge = this.charges.get(chargeId, 'charge');
    const warning = this.earlyFraudWarnings.save(newEarlyFraudWarning(charge, actionable, this.clock()));
    this.events.emit('radar.early_fraud_warning.created', warning, AUTOMATIC_REQUEST);
    return warning;
  }

  /** `pm_card_visa` and friends mint a new PaymentMethod id on each use, as on Stripe. */
  private mintPaymentMethod(token: string): string {
    if (this.paymentMethodCards.has(token)) return token;
    const card = findTestCard(token);
    if (card === undefined) throw resourceMissing('PaymentMethod', token, 'payment_method');
    const id = newId('pm');
    this.paymentMethodCards.set(id, card);
    return id;
  }

  private latestCharge(paymentIntent: Stripe.PaymentIntent): Stripe.Charge {
    const chargeId = paymentIntent.latest_charge;
    if (typeof chargeId !== 'string') throw resourceMissing('charge', String(chargeId));
    return this.charges.get(chargeId);
  }

  private refundableCharge(input: RefundRequest): Stripe.Charge {
    const charge =
      input.paymentIntent !== undefined
        ? this.chargeOfIntent(input.paymentIntent, input.charge)
        : input.charge !== undefined
          ? this.charges.get(input.charge, 'charge')
          : undefined;
    if (charge === undefined) {
      throw invalidParameter(
        'charge',
        'One of `charge` or `payment_intent` is required.',
        'parameter_missing',
      );
    }
    if (charge.status !== 'succeeded' || !charge.captured) {
      throw invalidRequestError(
        `Charge ${charge.id} has not been captured; cancel its PaymentIntent to release the authorisation.`,
        { code: 'charge_not_refundable' },
      );
    }
    const blocking = this.disputes.newestFirst(
      (dispute) => dispute.charge === charge.id && dispute.status !== 'won',
    );
    if (blocking.length > 0) {
      throw invalidRequestError(`Charge ${charge.id} has been charged back; cannot issue a refund.`, {
        code: 'charge_disputed',
      });
    }
    return charge;
  }

  /** The successful charge of a PaymentIntent, which must be `chargeId` when that is given too. */
  private chargeOfIntent(paymentIntentId: string, chargeId: string | undefined): Stripe.Charge {
    const paymentIntent = this.paymentIntents.get(paymentIntentId, 'payment_intent');
    const charge = paymentIntent.status === 'succeeded' ? this.latestCharge(paymentIntent) : undefined;
    if (charge === undefined || (chargeId !== undefined && chargeId !== charge.id)) {
      throw invalidRequestError(
        `This PaymentIntent (${paymentIntentId}) does not have a successful charge to refund.`,
        {
          code: 'charge_not_refundable',
          param: 'payment_intent',
        },
      );
    }
    return charge;
  }

  /** `pm_card_createDispute`: the cardholder disputes the payment once it is captured. */
  private disputeIfTriggered(charge: Stripe.Charge): void {
    if (!this.chargeCards.get(charge.id)?.disputeAfterCapture) return;
    const dispute = this.disputes.save(newDispute(charge, this.clock()));
    this.charges.save({ ...charge, disputed: true });
    this.events.emit('charge.dispute.created', dispute, AUTOMATIC_REQUEST);
  }
}

function mergeMetadata(current: Stripe.Metadata, changes: Readonly<Record<string, string>>): Stripe.Metadata {
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Amounts in Stripe's messages: `$10.00` for USD, else `10.00 EUR`, `1000 JPY`. */
function formatAmount(amount: number, currency: string): string {
  if (isZeroDecimal(currency)) return `${amount} ${currency.toUpperCase()}`;
  const major = (amount / 100).toFixed(2);
  return currency === 'usd' ? `$${major}` : `${major} ${currency.toUpperCase()}`;
}
