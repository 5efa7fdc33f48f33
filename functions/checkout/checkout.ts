/**
 * Checkout (contract section 4): price on the server, open a manual-capture PaymentIntent, then
 * reserve every line, count the coupon and write the order in one transaction.
 *
 * The PaymentIntent comes first so that the happy path is one Stripe call and one transaction:
 * if Stripe fails nothing has been reserved (503, and a retry with the same Idempotency-Key runs
 * again); if the transaction fails the PaymentIntent is cancelled. An unconfirmed PaymentIntent
 * left by a crash between the two holds no money and reserves nothing.
 */
import type { VelocitySubject } from '../adapters/velocity-keys.ts';
import type { Coupon, Product } from '../domain/catalog.ts';
import type { CheckoutRequest } from '../domain/checkout.ts';
import { InvalidCoupon, InvalidState, OutOfStock, UpstreamUnavailable } from '../domain/errors.ts';
import { normalizeEmail } from '../domain/fraud.ts';
import { newOrder, type Order } from '../domain/order.ts';
import {
  type Clock,
  type IdGenerator,
  type PaymentGateway,
  PaymentProviderUnavailable,
} from '../domain/ports.ts';
import { type Price, priceCheckout } from '../domain/pricing.ts';
import type { StoreSettings } from '../domain/settings.ts';

export type PlaceOrderOutcome =
  | { readonly outcome: 'placed' }
  | { readonly outcome: 'out_of_stock'; readonly short: readonly { sku: string; available: number }[] }
  | { readonly outcome: 'stale' }
  | { readonly outcome: 'coupon_unavailable' }
  | { readonly outcome: 'conflict' };

export interface CheckoutOrders {
  loadForCheckout(
    storeId: string,
    skus: readonly string[],
    couponCode: string | undefined,
  ): Promise<{ products: ReadonlyMap<string, Product>; coupon: Coupon | undefined }>;
  place(input: {
    storeId: string;
    order: Order;
    lines: readonly { sku: string; quantity: number; unitAmount: number; currency: string }[];
    coupon?: { code: string; updatedAt: string } | undefined;
    /** The order's email (by digest) and IP, counted for the fraud rules in the same transaction. */
    velocitySubjects: readonly VelocitySubject[];
    now: string;
  }): Promise<PlaceOrderOutcome>;
}

export interface CheckoutDependencies {
  readonly orders: CheckoutOrders;
  readonly payments: PaymentGateway;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The keyed digest of a normalised email (velocity counters never hold the email itself). */
  readonly emailDigest: (normalizedEmail: string) => Promise<string>;
  /** Told when a PaymentIntent could not be cancelled after a failed reservation. */
  readonly onOrphanedPaymentIntent?: (paymentIntentId: string, error: unknown) => void;
}

export interface CheckoutResult {
  readonly order: Order;
  readonly clientSecret: string;
}

/** How often a checkout re-prices when the catalog changed under it before giving up. */
const pricingAttempts = 3;
/** How often the same transaction is retried when DynamoDB reports a conflicting transaction. */
const conflictRetries = 4;

export async function checkout(
  deps: CheckoutDependencies,
  store: { readonly id: string; readonly settings: StoreSettings },
  request: CheckoutRequest,
): Promise<CheckoutResult> {
  const orderId = deps.ids.next('ord_');
  const skus = request.items.map((item) => item.sku);
  // Velocity counts orders as they are created (contract section 6), paid or not: declined
  // card-testing attempts count too.
  const velocitySubjects: VelocitySubject[] = [
    { kind: 'EMAIL', value: await deps.emailDigest(normalizeEmail(request.customer.email)) },
    ...(request.clientIp === undefined ? [] : [{ kind: 'IP' as const, value: request.clientIp }]),
  ];
  for (let attempt = 1; attempt <= pricingAttempts; attempt++) {
    const { products, coupon } = await deps.orders.loadForCheckout(store.id, skus, request.couponCode);
    const now = deps.clock.now();
    const price = priceCheckout({
      currency: request.currency,
      items: request.items,
      products,
      couponCode: request.couponCode,
      coupon,
      settings: store.settings,
      shippingAddress: request.shippingAddress,
      now,
    });
    // The stock just read settles the obvious shortage without a Stripe call; the transaction
    // below is still what guarantees it.
    throwIfShort(
      request.items.map((item) => ({ sku: item.sku, available: products.get(item.sku)?.stock ?? 0 })),
      request,
    );

    const intent = await createPaymentIntent(deps, store.id, orderId, price, request.currency, attempt);
    const order = newOrder({
      id: orderId,
      request,
      price,
      paymentIntentId: intent.id,
      reservationMinutes: store.settings.reservationMinutes,
      now,
    });
    const outcome = await placeWithRetries(deps, {
      storeId: store.id,
      order,
      lines: price.lines.map((line) => ({ ...line, currency: request.currency })),
      coupon: coupon === undefined ? undefined : { code: coupon.code, updatedAt: coupon.updatedAt },
      velocitySubjects,
      now: now.toISOString(),
    });
    if (outcome.outcome === 'placed') return { order, clientSecret: intent.clientSecret };

    await cancelQuietly(deps, intent.id, orderId, attempt);
    switch (outcome.outcome) {
      case 'out_of_stock':
        throwIfShort(outcome.short, request);
        break;
      case 'coupon_unavailable':
        throw new InvalidCoupon(`The coupon "${request.couponCode}" has no redemptions left.`, {
          errors: [{ path: '/couponCode', message: 'has no redemptions left' }],
        });
      case 'conflict':
        throw new UpstreamUnavailable(
          'The catalog is busy; retry the checkout with the same Idempotency-Key.',
        );
      case 'stale':
        break; // re-read and re-price
    }
  }
  throw new InvalidState('Prices changed repeatedly during checkout; retry the checkout.');
}

function throwIfShort(lines: readonly { sku: string; available: number }[], request: CheckoutRequest): void {
  const errors = lines.flatMap(({ sku, available }) => {
    const index = request.items.findIndex((item) => item.sku === sku);
    const item = request.items[index];
    return item !== undefined && available < item.quantity
      ? [
          {
            path: `/items/${index}/quantity`,
            message: `only ${Math.max(0, available)} of "${sku}" available`,
          },
        ]
      : [];
  });
  if (errors.length > 0)
    throw new OutOfStock('Some items are out of stock; nothing was reserved.', { errors });
}

async function createPaymentIntent(
  deps: CheckoutDependencies,
  storeId: string,
  orderId: string,
  price: Price,
  currency: string,
  attempt: number,
) {
  try {
    return await deps.payments.createPaymentIntent({
      amount: price.total,
      currency,
      storeId,
      orderId,
      // Unique to this attempt: Stripe replays a saved failure under a reused key.
      idempotencyKey: `${orderId}:create:${attempt}`,
    });
  } catch (error) {
    if (error instanceof PaymentProviderUnavailable) {
      throw new UpstreamUnavailable(
        'The payment provider is unavailable; nothing was reserved. Retry the checkout.',
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

async function placeWithRetries(
  deps: CheckoutDependencies,
  input: Parameters<CheckoutOrders['place']>[0],
): Promise<PlaceOrderOutcome> {
  let outcome = await deps.orders.place(input);
  for (let retry = 0; outcome.outcome === 'conflict' && retry < conflictRetries; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** retry + Math.random() * 20));
    outcome = await deps.orders.place(input);
  }
  return outcome;
}

async function cancelQuietly(
  deps: CheckoutDependencies,
  paymentIntentId: string,
  orderId: string,
  attempt: number,
) {
  try {
    await deps.payments.cancelPaymentIntent(paymentIntentId, 'abandoned', `${orderId}:cancel:${attempt}`);
  } catch (error) {
    deps.onOrphanedPaymentIntent?.(paymentIntentId, error);
  }
}
