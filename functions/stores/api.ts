import * as z from 'zod/mini';
import { Currency, IanaTimeZone, lazySchema, Timestamp, text } from '../domain/schemas.ts';
import { StoreSettings } from '../domain/settings.ts';
import { operation } from '../http/operation.ts';
import { Store } from './store.ts';

export const CreateStoreRequest = z.strictObject({
  name: text(1, 200),
  timezone: z._default(IanaTimeZone, 'UTC'),
  defaultCurrency: z._default(Currency, 'usd'),
});

export const CreatedStore = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    timezone: z.string(),
    defaultCurrency: Currency,
    apiKey: z.string().check(z.describe('Shown only in this response; stored as a hash.')),
    shippingWebhookSecret: z.string().check(z.describe('Shown only in this response.')),
    createdAt: Timestamp,
  }),
);

/** A JSON merge patch (RFC 7396) of the settings; the merged result must be valid. */
export const UpdateStoreRequest = z.strictObject({
  timezone: z.optional(IanaTimeZone),
  settings: z.optional(z.record(z.string(), z.unknown())),
});

export const StoreView = lazySchema(() => z.omit(Store(), { createdAt: true }));

export const createStoreOperation = operation({
  route: 'POST /admin/v1/stores',
  auth: 'admin',
  summary: 'Create a store with its API key and shipping webhook secret',
  tag: 'Admin',
  body: CreateStoreRequest,
  responses: { 201: { description: 'The store, with its secrets shown once', schema: CreatedStore } },
  errors: ['validation_failed'],
});

export const getStoreOperation = operation({
  route: 'GET /v1/store',
  auth: 'store',
  summary: 'The calling store and its settings (with defaults filled in)',
  tag: 'Store',
  responses: { 200: { description: 'The store', schema: StoreView } },
  errors: [],
});

export const updateStoreOperation = operation({
  route: 'PATCH /v1/store',
  auth: 'store',
  summary: 'Change the timezone or merge-patch the settings',
  tag: 'Store',
  body: UpdateStoreRequest,
  responses: { 200: { description: 'The updated store', schema: StoreView } },
  errors: ['validation_failed'],
});

export const RotatedShippingWebhookSecret = lazySchema(() =>
  z.object({
    shippingWebhookSecret: z
      .string()
      .check(z.describe('The new secret, valid at once. Shown only in this response.')),
    previousSecretExpiresAt: Timestamp.check(
      z.describe('Until then the secret it replaces stays valid too; any older secret no longer is.'),
    ),
  }),
);

export const rotateShippingWebhookSecretOperation = operation({
  route: 'POST /v1/store/shipping-webhook-secrets',
  auth: 'store',
  summary: 'Rotate the shipping webhook secret: the new one is valid at once, the previous one for 24 h more',
  tag: 'Store',
  responses: {
    201: { description: 'The new secret, shown once', schema: RotatedShippingWebhookSecret },
  },
  errors: [],
});

export const storeOperations = [
  createStoreOperation,
  getStoreOperation,
  updateStoreOperation,
  rotateShippingWebhookSecretOperation,
];

export { StoreSettings };
