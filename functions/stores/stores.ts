/**
 * Store use cases: creating a store with its secrets, reading it, changing its settings, rotating
 * its shipping webhook secret.
 */
import type * as z from 'zod/mini';
import type { Clock, IdGenerator } from '../domain/ports.ts';
import { mergePatch, StoreSettings } from '../domain/settings.ts';
import { parseWith } from '../http/validation.ts';
import type {
  CreatedStore,
  CreateStoreRequest,
  RotatedShippingWebhookSecret,
  UpdateStoreRequest,
} from './api.ts';
import { hashApiKey, newApiKey, newShippingWebhookSecret } from './api-keys.ts';
import {
  firstShippingWebhookSecret,
  rotateShippingWebhookSecrets,
  type ShippingWebhookSecret,
} from './shipping-webhook-secrets.ts';
import type { Store, StoreRecord } from './store.ts';

export interface StoreWriter {
  create(store: StoreRecord): Promise<void>;
  get(storeId: string): Promise<StoreRecord | undefined>;
  /** `expected`: the version and timezone the store was read at (a new timezone moves its registry item). */
  update(
    storeId: string,
    change: Pick<Store, 'timezone' | 'settings'>,
    expected: { readonly version: number; readonly timezone: string },
  ): Promise<'updated' | 'conflict'>;
  replaceShippingWebhookSecrets(
    storeId: string,
    secrets: readonly ShippingWebhookSecret[],
    expectedVersion: number,
  ): Promise<'updated' | 'conflict'>;
}

export async function createStore(
  deps: { readonly stores: StoreWriter; readonly clock: Clock; readonly ids: IdGenerator },
  request: z.output<typeof CreateStoreRequest>,
): Promise<z.output<typeof CreatedStore>> {
  const id = deps.ids.next('str_');
  const apiKey = newApiKey(id);
  const shippingWebhookSecret = newShippingWebhookSecret();
  const now = deps.clock.now();
  const createdAt = now.toISOString();
  await deps.stores.create({
    id,
    name: request.name,
    timezone: request.timezone,
    defaultCurrency: request.defaultCurrency,
    settings: StoreSettings.parse({}),
    createdAt,
    apiKeyHash: hashApiKey(apiKey),
    shippingWebhookSecrets: firstShippingWebhookSecret(shippingWebhookSecret, now),
    version: 1,
  });
  return {
    id,
    name: request.name,
    timezone: request.timezone,
    defaultCurrency: request.defaultCurrency,
    apiKey,
    shippingWebhookSecret,
    createdAt,
  };
}

export function storeView(store: Store) {
  return {
    id: store.id,
    name: store.name,
    timezone: store.timezone,
    defaultCurrency: store.defaultCurrency,
    settings: store.settings,
  };
}

/**
 * Applies a settings merge patch; the merged settings are validated as a whole (e.g. review
 * below reject), and nothing is written when they are invalid. Retries on a concurrent change.
 */
export async function updateStore(
  deps: { readonly stores: StoreWriter },
  current: StoreRecord,
  request: z.output<typeof UpdateStoreRequest>,
): Promise<Store> {
  let store = current;
  for (let attempt = 0; attempt < 5; attempt++) {
    const settings =
      request.settings === undefined
        ? store.settings
        : parseWith(
            StoreSettings,
            mergePatch(store.settings, request.settings),
            'merged settings',
            '/settings',
          );
    const timezone = request.timezone ?? store.timezone;
    const expected = { version: store.version, timezone: store.timezone };
    if ((await deps.stores.update(store.id, { timezone, settings }, expected)) === 'updated') {
      return { ...store, timezone, settings };
    }
    const latest = await deps.stores.get(store.id);
    if (latest === undefined) throw new Error(`store ${store.id} vanished during update`);
    store = latest;
  }
  throw new Error(`store ${store.id} kept changing during update`);
}

/**
 * A new shipping webhook secret, valid at once; the one it replaces stays valid for 24 h and any
 * older one stops (never more than two). Written only if the store is still at the version read,
 * so two concurrent rotations cannot leave three secrets. Retries on a concurrent change.
 */
export async function rotateShippingWebhookSecret(
  deps: { readonly stores: StoreWriter; readonly clock: Clock },
  current: StoreRecord,
): Promise<z.output<ReturnType<typeof RotatedShippingWebhookSecret>>> {
  const shippingWebhookSecret = newShippingWebhookSecret();
  let store = current;
  for (let attempt = 0; attempt < 5; attempt++) {
    const rotated = rotateShippingWebhookSecrets(
      store.shippingWebhookSecrets,
      shippingWebhookSecret,
      deps.clock.now(),
    );
    const saved = await deps.stores.replaceShippingWebhookSecrets(store.id, rotated.secrets, store.version);
    if (saved === 'updated') {
      return { shippingWebhookSecret, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
    }
    const latest = await deps.stores.get(store.id);
    if (latest === undefined) throw new Error(`store ${store.id} vanished during rotation`);
    store = latest;
  }
  throw new Error(`store ${store.id} kept changing during rotation`);
}
