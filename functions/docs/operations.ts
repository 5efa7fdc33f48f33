/** Every operation of the API, for /openapi.json (schemas only: no handler code is imported). */
import * as z from 'zod/mini';
import { catalogOperations } from '../catalog/api.ts';
import { checkoutOperation } from '../checkout/api.ts';
import { operation } from '../http/operation.ts';
import { kpiReadOperations } from '../kpis/api.ts';
import { rollupJobOperations } from '../kpis/jobs-api.ts';
import { orderOperations } from '../orders/api.ts';
import { reviewOperations } from '../orders/reviews-api.ts';
import { paymentOperations } from '../payments/api.ts';
import { shipmentOperations } from '../shipping/api.ts';
import { shippingWebhookOperations } from '../shipping/webhook-api.ts';
import { storeOperations } from '../stores/api.ts';

export const healthOperation = operation({
  route: 'GET /health',
  auth: 'none',
  summary: 'Liveness',
  tag: 'Platform',
  responses: {
    200: { description: 'The service is up', schema: () => z.object({ status: z.literal('ok') }) },
  },
  errors: [],
});

export const openApiOperation = operation({
  route: 'GET /openapi.json',
  auth: 'none',
  summary: 'This document (OpenAPI 3.1)',
  tag: 'Platform',
  responses: { 200: { description: 'The OpenAPI document' } },
  errors: [],
});

export const allOperations = [
  healthOperation,
  openApiOperation,
  ...storeOperations,
  ...catalogOperations,
  checkoutOperation,
  ...orderOperations,
  ...reviewOperations,
  ...paymentOperations,
  ...shipmentOperations,
  ...shippingWebhookOperations,
  ...kpiReadOperations,
  ...rollupJobOperations,
];
