/** The carriers' webhook operation, for /openapi.json. */
import * as z from 'zod/mini';
import { ShippingWebhookBody } from '../domain/shipping.ts';
import { operation } from '../http/operation.ts';

export const ShippingWebhookParams = z.object({ storeId: z.string() });

export const shippingWebhookOperation = operation({
  route: 'POST /v1/webhooks/shipping/{storeId}',
  auth: 'none',
  summary:
    'Tracking updates from a carrier or aggregator, signed with the store’s shipping webhook secret (X-Salesops-Signature); each event is queued and applied once by eventId',
  tag: 'Shipping',
  params: ShippingWebhookParams,
  body: ShippingWebhookBody,
  responses: {
    202: {
      description: 'Every event was queued for processing',
      schema: () => z.object({ accepted: z.int() }),
    },
  },
  errors: ['invalid_signature', 'validation_failed', 'payload_too_large'],
});

export const shippingWebhookOperations = [shippingWebhookOperation];
