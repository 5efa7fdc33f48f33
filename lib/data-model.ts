/**
 * The DynamoDB tables, declared once for the CDK stack and for DynamoDB Local.
 * The access pattern each key and index serves is written down in docs/data-model.md.
 */

export interface KeySchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface GlobalIndex extends KeySchema {
  readonly indexName: string;
}

export interface TableDefinition extends KeySchema {
  /** Logical name: construct id, `<NAME>_TABLE_NAME` env var, local table name. */
  readonly name: string;
  readonly timeToLiveAttribute: string;
  readonly globalIndexes: readonly GlobalIndex[];
}

/** Everything Sales Ops stores about stores, catalogs and orders (single-table design). */
export const mainTable = {
  name: 'main',
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  globalIndexes: [
    /** A store's orders, newest first: `ORDERS#<storeId>` / `<createdAt>#<orderId>`. */
    { indexName: 'byStore', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** A store's orders in one status: `ORDERS#<storeId>#<status>` / `<createdAt>#<orderId>`. */
    { indexName: 'byStatus', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /** Sparse: work that falls due at a time, sharded: `DUE#<kind>#<shard>` / `<dueAt>#<orderId>`. */
    { indexName: 'byDueTime', partitionKey: 'duepk', sortKey: 'duesk' },
  ],
} as const satisfies TableDefinition;

/** Powertools idempotency records for `Idempotency-Key` (its default key and expiry attributes). */
export const idempotencyTable = {
  name: 'idempotency',
  partitionKey: 'id',
  timeToLiveAttribute: 'expiration',
  globalIndexes: [],
} as const satisfies TableDefinition;

export const tables: readonly TableDefinition[] = [mainTable, idempotencyTable];

/** The env var through which a function learns a table's physical name. */
export function tableEnvVar(table: TableDefinition): string {
  return `${table.name.toUpperCase()}_TABLE_NAME`;
}
