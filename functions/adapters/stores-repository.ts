import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { apiKeyMatches, storeIdOfApiKey } from '../stores/api-keys.ts';
import type { ShippingWebhookSecret } from '../stores/shipping-webhook-secrets.ts';
import type { Store, StoreRecord } from '../stores/store.ts';

export const storeKey = (storeId: string) => ({ pk: `STORE#${storeId}`, sk: '#STORE' });

export class StoresRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(store: StoreRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...storeKey(store.id), entity: 'store', ...store },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(storeId: string): Promise<StoreRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: storeKey(storeId) }),
    );
    if (Item === undefined) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...record } = Item;
    return record as StoreRecord;
  }

  /** The store an API key belongs to, or undefined: one GetItem, constant-time compare. */
  async authenticate(apiKey: string): Promise<StoreRecord | undefined> {
    const storeId = storeIdOfApiKey(apiKey);
    if (storeId === undefined) return undefined;
    const store = await this.get(storeId);
    return store !== undefined && apiKeyMatches(apiKey, store.apiKeyHash) ? store : undefined;
  }

  /** Writes timezone and settings if nobody changed the store since `expectedVersion`. */
  async update(
    storeId: string,
    change: Pick<Store, 'timezone' | 'settings'>,
    expectedVersion: number,
  ): Promise<'updated' | 'conflict'> {
    try {
      await this.client.send(
        new UpdateCommand({
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
}
