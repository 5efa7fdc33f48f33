import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type KeySchema, type TableDefinition, tables } from '../../lib/data-model.ts';

/**
 * Creates every table of lib/data-model.ts as the CDK stack does (on-demand billing, GSIs projecting
 * all attributes, TTL on) under the given physical names. Tables that already exist are kept as they
 * are, so a restarted local stack can call this again.
 *
 * @param physicalNames logical table name (`main`, `idempotency`) → physical table name
 */
export async function createTables(
  client: DynamoDBClient,
  physicalNames: Record<string, string>,
): Promise<void> {
  for (const table of tables) {
    const tableName = physicalNames[table.name];
    if (tableName === undefined) {
      throw new Error(`No physical name given for table '${table.name}'`);
    }
    await createTable(client, table, tableName);
    await enableTimeToLive(client, tableName, table.timeToLiveAttribute);
  }
}

async function createTable(client: DynamoDBClient, table: TableDefinition, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions(table),
        KeySchema: keySchema(table),
        GlobalSecondaryIndexes:
          table.globalIndexes.length === 0
            ? undefined
            : table.globalIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: keySchema(index),
                Projection: { ProjectionType: 'ALL' },
              })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) {
      throw error;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
}

async function enableTimeToLive(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  // Updating TTL while it is on (or turning on) is rejected by DynamoDB, so only a disabled table is updated.
  if (status === 'ENABLED' || status === 'ENABLING') {
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
    }),
  );
}

function keySchema(keys: KeySchema): KeySchemaElement[] {
  return keys.sortKey === undefined
    ? [{ AttributeName: keys.partitionKey, KeyType: 'HASH' }]
    : [
        { AttributeName: keys.partitionKey, KeyType: 'HASH' },
        { AttributeName: keys.sortKey, KeyType: 'RANGE' },
      ];
}

/** Every key attribute of the table and its indexes; all keys in the data model are strings. */
function attributeDefinitions(table: TableDefinition): AttributeDefinition[] {
  const names = new Set<string>();
  for (const keys of [table, ...table.globalIndexes]) {
    names.add(keys.partitionKey);
    if (keys.sortKey !== undefined) {
      names.add(keys.sortKey);
    }
  }
  return [...names].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
}
