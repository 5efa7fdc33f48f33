/**
 * Reading a store: by id, or by the API key a request presents (one GetItem, the key's hash
 * compared in constant time). Apart from `StoresRepository`, which also writes stores and their
 * registry, so that functions that only authenticate (the checkout) carry only this.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { apiKeyMatches, storeIdOfApiKey } from '../stores/api-keys.ts';
import type { StoreRecord } from '../stores/store.ts';

export const storeKey = (storeId: string) => ({ pk: `STORE#${storeId}`, sk: '#STORE' });

export class StoreReader {
  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

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
}
