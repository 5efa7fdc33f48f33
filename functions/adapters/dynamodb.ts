/**
 * The DynamoDB clients, created once per function at module scope. `DYNAMODB_ENDPOINT` is set
 * only by the local stack (DynamoDB Local); on AWS the SDK finds the regional endpoint.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idempotencyTable, mainTable, tableEnvVar } from '../../lib/data-model.ts';
import { optionalEnv, requiredEnv } from './env.ts';

const endpoint = optionalEnv('DYNAMODB_ENDPOINT');

export const dynamoClient = new DynamoDBClient(endpoint === undefined ? {} : { endpoint });

export const documentClient = DynamoDBDocumentClient.from(dynamoClient, {
  marshallOptions: { removeUndefinedValues: true },
});

export function mainTableName(): string {
  return requiredEnv(tableEnvVar(mainTable));
}

export function idempotencyTableName(): string {
  return requiredEnv(tableEnvVar(idempotencyTable));
}
