/**
 * Stores on the main table, with the registry the nightly KPI scheduler finds them by
 * (docs/kpis.md "Schedules"): `STORES#TZ#<zone>` / `<storeId>` per store, and the set of zones in
 * use on `STORES#TIMEZONES` / `#SET`, written in the same transaction as the store's creation or
 * timezone change, so the registry never disagrees with the stores.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { timezoneChangedHour } from '../kpis/stale-marker.ts';
import type { ShippingWebhookSecret } from '../stores/shipping-webhook-secrets.ts';
import type { Store, StoreRecord } from '../stores/store.ts';
import { staleMarkersPartition, storeOfZoneKey, timeZonesKey } from './kpi-keys.ts';
import { StoreReader, storeKey } from './store-reader.ts';

export { storeKey } from './store-reader.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Attempts at a store's creation while other transactions hold the set of zones. */
const createAttempts = 8;

/** A transaction cancelled only because another one was writing one of its items meanwhile. */
function isTransactionConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')
  );
}

/** Reads (`StoreReader`) and writes stores with their registry. */
export class StoresRepository extends StoreReader {
  /**
   * The store, its registry item and its zone in the set of zones, in one transaction. Stores
   * created at the same moment all add to the one set of zones, so a transaction conflict there
   * is retried (the store's own id is new: the retry cannot write it twice).
   */
  async create(store: StoreRecord): Promise<void> {
    const command = new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: this.tableName,
            Item: { ...storeKey(store.id), entity: 'store', ...store },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...this.registryEntry(store.id, store.timezone),
      ],
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(command);
        return;
      } catch (error) {
        if (attempt >= createAttempts || !isTransactionConflict(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
      }
    }
  }

  /**
   * Writes timezone and settings if nobody changed the store since it was read (`expected`: its
   * version and timezone then). A new timezone moves the store's registry item in the same
   * transaction; the guard makes `expected.timezone` the one the registry holds.
   */
  async update(
    storeId: string,
    change: Pick<Store, 'timezone' | 'settings'>,
    expected: { readonly version: number; readonly timezone: string },
  ): Promise<'updated' | 'conflict'> {
    const update = {
      TableName: this.tableName,
      Key: storeKey(storeId),
      UpdateExpression: 'SET #timezone = :timezone, #settings = :settings, #version = :next',
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: {
        '#timezone': 'timezone',
        '#settings': 'settings',
        '#version': 'version',
      },
      ExpressionAttributeValues: {
        ':timezone': change.timezone,
        ':settings': change.settings,
        ':expected': expected.version,
        ':next': expected.version + 1,
      },
    };
    try {
      if (change.timezone === expected.timezone) {
        await this.client.send(new UpdateCommand(update));
      } else {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: update },
              { Delete: { TableName: this.tableName, Key: storeOfZoneKey(expected.timezone, storeId) } },
              ...this.registryEntry(storeId, change.timezone),
              // Every KPI day of the store now holds other hours: its next night rolls them up again.
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    pk: staleMarkersPartition(storeId),
                    sk: timezoneChangedHour,
                    entity: 'staleMarker',
                    markedAt: new Date().toISOString(),
                  },
                },
              },
            ],
          }),
        );
      }
      return 'updated';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      if (
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')
      ) {
        return 'conflict';
      }
      // Another store's creation or move held the set of zones: read again and retry, as for a new version.
      if (isTransactionConflict(error)) return 'conflict';
      throw error;
    }
  }

  /** Writes the shipping webhook secrets if nobody changed the store since `expectedVersion`. */
  async replaceShippingWebhookSecrets(
    storeId: string,
    secrets: readonly ShippingWebhookSecret[],
    expectedVersion: number,
  ): Promise<'updated' | 'conflict'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: storeKey(storeId),
          UpdateExpression: 'SET #secrets = :secrets, #version = :next',
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#secrets': 'shippingWebhookSecrets', '#version': 'version' },
          ExpressionAttributeValues: {
            ':secrets': secrets,
            ':expected': expectedVersion,
            ':next': expectedVersion + 1,
          },
        }),
      );
      return 'updated';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  /** The store's item under its zone, and the zone added to the set of zones in use. */
  private registryEntry(storeId: string, timeZone: string): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...storeOfZoneKey(timeZone, storeId), entity: 'storeOfZone', storeId, timezone: timeZone },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: timeZonesKey,
          UpdateExpression: 'ADD #zones :zone SET #entity = :entity',
          ExpressionAttributeNames: { '#zones': 'zones', '#entity': 'entity' },
          ExpressionAttributeValues: { ':zone': new Set([timeZone]), ':entity': 'timeZones' },
        },
      },
    ];
  }
}
