/**
 * The payment gateway on the official Stripe SDK, with its pinned API version. Locally
 * `STRIPE_API_BASE` points the SDK at the Stripe simulator; on AWS it talks to Stripe.
 * Stripe errors are classified as Medusa's provider does: connection / rate limit / API errors
 * are "unavailable" (retry, trust webhooks), invalid requests are "rejected".
 */
import type Stripe from 'stripe';
import {
  type ChargeView,
  type DisputeView,
  type PaymentEventsGateway,
  type PaymentGateway,
  type PaymentIntentView,
  PaymentProviderRejected,
  PaymentProviderUnavailable,
  type RefundView,
} from '../domain/ports.ts';
import { optionalEnv } from './env.ts';

/**
 * The Stripe client, created on first use: the SDK is a quarter of a checkout bundle, and requests
 * that end before the payment step (validation errors, replays, out of stock) never load it.
 * A new client is made when the secret key changes, so a rolled key is used as soon as the secret
 * cache (`secrets.ts`) reads it.
 */
export function lazyStripeClient(secretKey: () => Promise<string>): () => Promise<Stripe> {
  let sdk: Promise<typeof Stripe> | undefined;
  let current: { readonly key: string; readonly client: Stripe } | undefined;
  return async () => {
    if (sdk === undefined) {
      const loading = import('stripe').then((module) => module.default);
      sdk = loading;
      loading.catch(() => {
        sdk = undefined;
      });
    }
    const [StripeSdk, key] = await Promise.all([sdk, secretKey()]);
    if (current?.key !== key) current = { key, client: stripeClient(StripeSdk, key) };
    return current.client;
  };
}

export function stripeClient(StripeSdk: typeof Stripe, secretKey: string): Stripe {
  const base = optionalEnv('STRIPE_API_BASE');
  const url = base === undefined ? undefined : new URL(base);
  return new StripeSdk(secretKey, {
    // Retries reuse the same idempotency key, so a saved 500 would only be replayed: retry here never.
    maxNetworkRetries: 0,
    timeout: 10_000,
    ...(url === undefined
      ? {}
      : {
          host: url.hostname,
          port: Number(url.port),
          protocol: url.protocol === 'https:' ? 'https' : 'http',
        }),
  });
}

export function stripeGateway(client: () => Promise<Stripe>): PaymentGateway & PaymentEventsGateway {
  return {
    async createPaymentIntent(input) {
      const stripe = await client();
      const intent = await call(() =>
        stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            capture_method: 'manual',
            // Cards and wallets confirmed in place; redirect-based methods would need a return URL.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            metadata: { orderId: input.orderId, storeId: input.storeId },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      if (intent.client_secret === null)
        throw new PaymentProviderUnavailable('PaymentIntent has no client secret');
      return { id: intent.id, clientSecret: intent.client_secret };
    },
    async retrievePaymentIntent(id) {
      const stripe = await client();
      return view(await call(() => stripe.paymentIntents.retrieve(id)));
    },
    async cancelPaymentIntent(id, reason, idempotencyKey) {
      const stripe = await client();
      try {
        return view(
          await call(() =>
            stripe.paymentIntents.cancel(id, { cancellation_reason: reason }, { idempotencyKey }),
          ),
        );
      } catch (error) {
        if (error instanceof PaymentProviderRejected) {
          const current = view(await call(() => stripe.paymentIntents.retrieve(id)));
          if (current.status === 'canceled') return current;
        }
        throw error;
      }
    },
    async capturePaymentIntent(id, amount, idempotencyKey) {
      const stripe = await client();
      try {
        return view(
          await call(() =>
            stripe.paymentIntents.capture(id, { amount_to_capture: amount }, { idempotencyKey }),
          ),
        );
      } catch (error) {
        if (error instanceof PaymentProviderRejected) {
          const current = view(await call(() => stripe.paymentIntents.retrieve(id)));
          if (current.status === 'succeeded') return current;
        }
        throw error;
      }
    },
    async refund(input) {
      const stripe = await client();
      return refundView(
        await call(() =>
          stripe.refunds.create(
            {
              payment_intent: input.paymentIntentId,
              amount: input.amount,
              ...(input.reason === undefined ? {} : { reason: input.reason }),
              metadata: { ...input.metadata },
            },
            { idempotencyKey: input.idempotencyKey },
          ),
        ),
      );
    },
    async listRefunds(chargeId) {
      const stripe = await client();
      const refunds = await call(() =>
        stripe.refunds.list({ charge: chargeId, limit: 100 }).autoPagingToArray({ limit: 10_000 }),
      );
      return refunds.map(refundView);
    },
    async retrieveDispute(id) {
      const stripe = await client();
      return disputeView(await call(() => stripe.disputes.retrieve(id)));
    },
    async retrieveCharge(id) {
      const stripe = await client();
      return chargeView(await call(() => stripe.charges.retrieve(id)));
    },
  };
}

function refundView(refund: Stripe.Refund): RefundView {
  return {
    id: refund.id,
    amount: refund.amount,
    status: refund.status ?? 'pending',
    created: new Date(refund.created * 1000).toISOString(),
    requestKey: refund.metadata?.requestKey ?? undefined,
  };
}

function disputeView(dispute: Stripe.Dispute): DisputeView {
  return {
    id: dispute.id,
    amount: dispute.amount,
    status: dispute.status,
    created: new Date(dispute.created * 1000).toISOString(),
    chargeId: typeof dispute.charge === 'string' ? dispute.charge : dispute.charge.id,
  };
}

function chargeView(charge: Stripe.Charge): ChargeView {
  const card = charge.payment_method_details?.card;
  return {
    id: charge.id,
    cardFingerprint: card?.fingerprint ?? undefined,
    riskLevel: charge.outcome?.risk_level ?? undefined,
    cardCountry: card?.country ?? undefined,
  };
}

function view(intent: Stripe.PaymentIntent): PaymentIntentView {
  return {
    id: intent.id,
    status: intent.status,
    amount: intent.amount,
    currency: intent.currency,
    metadata: intent.metadata,
    latestChargeId:
      typeof intent.latest_charge === 'string'
        ? intent.latest_charge
        : (intent.latest_charge?.id ?? undefined),
  };
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (isRejection(error)) throw new PaymentProviderRejected(error.message, error.code, { cause: error });
    throw new PaymentProviderUnavailable('Stripe did not complete the request', { cause: error });
  }
}

/** Stripe's invalid-request and card errors: the request was understood and refused. */
function isRejection(error: unknown): error is { message: string; code: string | undefined } {
  if (!(error instanceof Error) || !('type' in error)) return false;
  return error.type === 'StripeInvalidRequestError' || error.type === 'StripeCardError';
}
