import * as z from 'zod/mini';
import { CheckoutRequest } from '../domain/checkout.ts';
import { OrderView } from '../domain/order.ts';
import { lazySchema } from '../domain/schemas.ts';
import { operation } from '../http/operation.ts';

export const CheckoutResponse = lazySchema(() =>
  z.extend(OrderView(), {
    payment: z.object({
      provider: z.literal('stripe'),
      paymentIntentId: z.string(),
      clientSecret: z.string().check(z.describe("For Stripe.js on the shopper's device; never log it.")),
    }),
  }),
);

export const checkoutOperation = operation({
  route: 'POST /v1/checkouts',
  auth: 'store',
  summary: 'Price a cart on the server, reserve its stock and open a Stripe PaymentIntent',
  tag: 'Checkout',
  body: CheckoutRequest,
  responses: { 201: { description: 'The order, waiting for payment', schema: CheckoutResponse } },
  errors: [
    'validation_failed',
    'unknown_sku',
    'currency_mismatch',
    'unsupported_currency',
    'invalid_coupon',
    'amount_out_of_range',
    'out_of_stock',
    'upstream_unavailable',
  ],
});
