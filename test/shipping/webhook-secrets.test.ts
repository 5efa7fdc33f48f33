/**
 * Rotating a store's shipping webhook secret, with a fixed clock: the new secret is valid at once,
 * the one it replaces for 24 h more and not a millisecond longer, and never more than two are valid.
 * The receiver is driven with in-memory dependencies, so its clock is the test's.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StoreSettings } from '../../functions/domain/settings.ts';
import type { ShippingEventMessage } from '../../functions/shipping/event-message.ts';
import { shippingWebhookReceiver } from '../../functions/shipping/receiver.ts';
import {
  firstShippingWebhookSecret,
  rotateShippingWebhookSecrets,
  type ShippingWebhookSecret,
  validShippingWebhookSecrets,
} from '../../functions/stores/shipping-webhook-secrets.ts';
import type { StoreRecord } from '../../functions/stores/store.ts';
import { rotateShippingWebhookSecret, type StoreWriter } from '../../functions/stores/stores.ts';
import { httpEvent } from '../support/events.ts';

const createdAt = new Date('2026-11-01T00:00:00.000Z');
const rotatedAt = new Date('2026-11-28T10:00:00.000Z');
const graceEnds = new Date('2026-11-29T10:00:00.000Z');
const at = (date: Date, offsetMs: number) => new Date(date.getTime() + offsetMs);

describe('a store’s shipping webhook secrets', () => {
  it('starts with one secret that never expires', () => {
    const secrets = firstShippingWebhookSecret('s1', createdAt);
    expect(validShippingWebhookSecrets(secrets, at(createdAt, 10 * 365 * 86_400_000))).toEqual(['s1']);
  });

  it('keeps the replaced secret valid for 24 h after a rotation, then only the new one', () => {
    const rotated = rotateShippingWebhookSecrets(
      firstShippingWebhookSecret('s1', createdAt),
      's2',
      rotatedAt,
    );
    expect(rotated.previousSecretExpiresAt).toBe(graceEnds.toISOString());
    expect(validShippingWebhookSecrets(rotated.secrets, rotatedAt)).toEqual(['s2', 's1']);
    expect(validShippingWebhookSecrets(rotated.secrets, at(graceEnds, -1))).toEqual(['s2', 's1']);
    expect(validShippingWebhookSecrets(rotated.secrets, graceEnds)).toEqual(['s2']);
  });

  it('never holds more than two: a second rotation within the grace period ends the oldest at once', () => {
    const once = rotateShippingWebhookSecrets(firstShippingWebhookSecret('s1', createdAt), 's2', rotatedAt);
    const twice = rotateShippingWebhookSecrets(once.secrets, 's3', at(rotatedAt, 3_600_000));
    expect(twice.secrets).toHaveLength(2);
    expect(validShippingWebhookSecrets(twice.secrets, at(rotatedAt, 3_600_000))).toEqual(['s3', 's2']);
    expect(twice.secrets.find((entry) => entry.secret === 's2')?.expiresAt).toBe(
      at(graceEnds, 3_600_000).toISOString(),
    );
  });
});

/** A StoreWriter over one record, with a version check as the repository's. */
function memoryStores(initial: StoreRecord, concurrentChanges = 0) {
  let record = initial;
  let changesLeft = concurrentChanges;
  const writer: StoreWriter = {
    create: async () => {},
    get: async () => record,
    update: async () => 'conflict',
    async replaceShippingWebhookSecrets(_storeId, secrets, expectedVersion) {
      if (changesLeft > 0) {
        // Someone else changed the store between the read and this write.
        changesLeft--;
        record = { ...record, version: record.version + 1 };
      }
      if (record.version !== expectedVersion) return 'conflict';
      record = { ...record, shippingWebhookSecrets: secrets, version: record.version + 1 };
      return 'updated';
    },
  };
  return { writer, current: () => record };
}

function storeRecord(secrets: readonly ShippingWebhookSecret[]): StoreRecord {
  return {
    id: 'str_rotation',
    name: 'Rotation',
    timezone: 'UTC',
    defaultCurrency: 'usd',
    settings: StoreSettings.parse({}),
    createdAt: createdAt.toISOString(),
    apiKeyHash: 'hash',
    shippingWebhookSecrets: secrets,
    version: 3,
  };
}

describe('rotateShippingWebhookSecret', () => {
  it('writes the new secret and the replaced one with its expiry, and answers the new secret once', async () => {
    const stores = memoryStores(storeRecord(firstShippingWebhookSecret('s1', createdAt)));
    const result = await rotateShippingWebhookSecret(
      { stores: stores.writer, clock: { now: () => rotatedAt } },
      stores.current(),
    );
    expect(result.previousSecretExpiresAt).toBe(graceEnds.toISOString());
    expect(result.shippingWebhookSecret).toMatch(/^whsec_ship_/);
    expect(stores.current().version).toBe(4);
    expect(stores.current().shippingWebhookSecrets).toEqual([
      { secret: result.shippingWebhookSecret, createdAt: rotatedAt.toISOString() },
      { secret: 's1', createdAt: createdAt.toISOString(), expiresAt: graceEnds.toISOString() },
    ]);
  });

  it('re-reads the store and rotates from what it finds when the store changed meanwhile', async () => {
    const stores = memoryStores(storeRecord(firstShippingWebhookSecret('s1', createdAt)), 2);
    const result = await rotateShippingWebhookSecret(
      { stores: stores.writer, clock: { now: () => rotatedAt } },
      stores.current(),
    );
    expect(stores.current().version).toBe(3 + 2 + 1);
    expect(validShippingWebhookSecrets(stores.current().shippingWebhookSecrets, rotatedAt)).toEqual([
      result.shippingWebhookSecret,
      's1',
    ]);
  });
});

describe('the receiver during a rotation (fixed clock)', () => {
  const storeId = 'str_rotation';
  const body = JSON.stringify({
    events: [
      {
        eventId: 'evt_rotation',
        carrier: 'ups',
        trackingNumber: '1Z1',
        status: 'in_transit',
        occurredAt: '2026-11-28T09:00:00.000Z',
      },
    ],
  });
  const secrets = rotateShippingWebhookSecrets(
    firstShippingWebhookSecret('s1', createdAt),
    's2',
    rotatedAt,
  ).secrets;

  async function deliver(secret: string, now: Date) {
    const queued: ShippingEventMessage[] = [];
    const receive = shippingWebhookReceiver({
      secretsOf: async (id) => (id === storeId ? secrets : undefined),
      enqueue: async (messages) => {
        queued.push(...messages);
      },
      now: () => now,
    });
    const timestamp = Math.floor(now.getTime() / 1000);
    const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    const event = httpEvent({
      routeKey: 'POST /v1/webhooks/shipping/{storeId}',
      path: `/v1/webhooks/shipping/${storeId}`,
      headers: { 'x-salesops-signature': `t=${timestamp},v1=${v1}` },
      pathParameters: { storeId },
    });
    const response = await receive({ ...event, body });
    return { status: response.statusCode, queued };
  }

  it('accepts the replaced secret until its expiry and refuses it from then on; the new one throughout', async () => {
    expect(await deliver('s1', at(graceEnds, -1_000))).toMatchObject({ status: 202, queued: [{ storeId }] });
    expect(await deliver('s1', graceEnds)).toEqual({ status: 400, queued: [] });
    expect(await deliver('s1', at(graceEnds, 86_400_000))).toEqual({ status: 400, queued: [] });
    expect((await deliver('s2', at(graceEnds, -1_000))).status).toBe(202);
    expect((await deliver('s2', at(graceEnds, 86_400_000))).status).toBe(202);
  });
});
