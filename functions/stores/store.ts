import * as z from 'zod/mini';
import { Currency, IanaTimeZone, lazySchema, Timestamp } from '../domain/schemas.ts';
import { StoreSettings } from '../domain/settings.ts';
import type { ShippingWebhookSecret } from './shipping-webhook-secrets.ts';

export const Store = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    timezone: IanaTimeZone,
    defaultCurrency: Currency,
    settings: StoreSettings,
    createdAt: Timestamp,
  }),
);
export type Store = z.infer<ReturnType<typeof Store>>;

/** A store with what only the backend may see: its key hash and webhook secrets. */
export interface StoreRecord extends Store {
  readonly apiKeyHash: string;
  /** Two may be valid at once while a store rotates its secret (see shipping-webhook-secrets.ts). */
  readonly shippingWebhookSecrets: readonly ShippingWebhookSecret[];
  readonly version: number;
}
