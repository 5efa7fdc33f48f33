import { randomUUID } from 'node:crypto';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../bin/local/dynamodb-local.ts';
import { createTables } from '../../bin/local/tables.ts';
import { tables } from '../../lib/data-model.ts';

const START_TIMEOUT_MS = 180_000;

let dynamoDb: DynamoDbLocal;
let client: DynamoDBClient;
const suffix = randomUUID().slice(0, 8);
const physicalNames = Object.fromEntries(tables.map((table) => [table.name, `${table.name}-${suffix}`]));

function tableName(logicalName: string): string {
  const name = physicalNames[logicalName];
  if (name === undefined) throw new Error(`no table ${logicalName}`);
  return name;
}

beforeAll(async () => {
  dynamoDb = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'tablesTest', secretAccessKey: 'local' },
  });
  await createTables(client, physicalNames);
}, START_TIMEOUT_MS);

afterAll(async () => {
  client?.destroy();
  await dynamoDb?.stop();
});

describe('createTables on DynamoDB Local', () => {
  it.each(tables)(
    'creates $name with its keys, on-demand billing and every GSI projecting ALL',
    async (table) => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName(table.name) }));

      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual(
        table.sortKey === undefined
          ? [{ AttributeName: table.partitionKey, KeyType: 'HASH' }]
          : [
              { AttributeName: table.partitionKey, KeyType: 'HASH' },
              { AttributeName: table.sortKey, KeyType: 'RANGE' },
            ],
      );
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
        indexName: index.IndexName,
        keys: index.KeySchema?.map((key) => `${key.KeyType}:${key.AttributeName}`),
        projection: index.Projection?.ProjectionType,
      }));
      expect(indexes).toEqual(
        expect.arrayContaining(
          table.globalIndexes.map((index) => ({
            indexName: index.indexName,
            keys: [`HASH:${index.partitionKey}`, ...(index.sortKey ? [`RANGE:${index.sortKey}`] : [])],
            projection: 'ALL',
          })),
        ),
      );
      expect(indexes).toHaveLength(table.globalIndexes.length);
    },
  );

  it.each(tables)('enables TTL on the $timeToLiveAttribute attribute of $name', async (table) => {
    const { TimeToLiveDescription } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName(table.name) }),
    );

    expect(TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: table.timeToLiveAttribute,
    });
  });

  it('is idempotent: a second call keeps the existing tables', async () => {
    const marker = { pk: { S: `MARKER#${suffix}` }, sk: { S: 'A' } };
    await client.send(new PutItemCommand({ TableName: tableName('main'), Item: marker }));

    await createTables(client, physicalNames);

    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining(Object.values(physicalNames)));
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName('main'), Key: marker }));
    expect(Item).toEqual(marker);
  });

  it('fails loudly when a physical name is missing', async () => {
    await expect(createTables(client, { main: tableName('main') })).rejects.toThrow(
      /No physical name given for table 'idempotency'/,
    );
  });

  it('shares one database across credentials and regions (-sharedDb)', async () => {
    const otherClient = new DynamoDBClient({
      endpoint: dynamoDb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'someoneElse', secretAccessKey: 'other' },
    });
    try {
      const { TableNames } = await otherClient.send(new ListTablesCommand({}));
      expect(TableNames).toEqual(expect.arrayContaining(Object.values(physicalNames)));
    } finally {
      otherClient.destroy();
    }
  });

  it('cancels a TransactWriteItems whose condition fails, with CancellationReasons, and writes nothing', async () => {
    const orderId = randomUUID();
    const existing = { pk: { S: `ORDER#${orderId}` }, sk: { S: 'ORDER' } };
    await client.send(new PutItemCommand({ TableName: tableName('main'), Item: existing }));

    const transaction = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName('main'),
              Item: { pk: { S: `ORDER#${orderId}` }, sk: { S: 'PAYMENT' } },
            },
          },
          {
            Put: {
              TableName: tableName('main'),
              Item: existing,
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );

    const error = await transaction.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(error instanceof TransactionCanceledException ? error.CancellationReasons : undefined).toEqual([
      { Code: 'None' },
      expect.objectContaining({ Code: 'ConditionalCheckFailed' }),
    ]);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName('main'),
        Key: { pk: { S: `ORDER#${orderId}` }, sk: { S: 'PAYMENT' } },
      }),
    );
    expect(Item).toBeUndefined();
  });
});
