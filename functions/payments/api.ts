/** The payments operations, for /openapi.json. */
import * as z from 'zod/mini';
import { operation } from '../http/operation.ts';

export const stripeWebhookOperation = operation({
  route: 'POST /v1/webhooks/stripe',
  auth: 'none',
  summary: "Stripe's webhook endpoint: verified by its Stripe-Signature header, queued for processing",
  tag: 'Payments',
  responses: {
    200: {
      description: 'The event was accepted for processing (or is not ours and will be ignored)',
      schema: () => z.object({ received: z.literal(true) }),
    },
  },
  errors: ['invalid_signature', 'payload_too_large'],
});

export const paymentOperations = [stripeWebhookOperation];
