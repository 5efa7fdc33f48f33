/**
 * `Idempotency-Key` (contract section 1) on DynamoDB: one record per store and key, holding the
 * request's fingerprint, an in-progress lock, and — once done — the response to replay.
 *
 * A first attempt claims the record with one conditional PutItem and completes it with one
 * UpdateItem; a repeat learns everything from the failed condition's old item, so the happy path
 * and every replay cost a single round trip. Only results (2xx and 4xx) are kept: the action
 * throws for a 5xx and the claim is deleted, so a retry runs again.
 *
 * Powertools idempotency did the same, but it is built for whole-event hashing (JMESPath,
 * caching, hooks) and its ~45 KB was a fifth of the checkout function's cold-import overhead.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyKeyInUse, IdempotencyKeyReused } from '../domain/errors.ts';
import type { HttpResult, IdempotencyGuard } from '../http/api.ts';

/** The contract asks for ≥ 24 h; an hour more leaves room for clocks and retries at the edge. */
const keptForSeconds = 25 * 60 * 60;
/** How long a claim holds when the caller cannot say (no Lambda deadline). */
const defaultLockMs = 30_000;

interface IdempotencyRecord {
  readonly id: string;
  readonly status: 'in_progress' | 'completed';
  readonly fingerprint: string;
  /** Which attempt holds the claim, so that a late finisher never overwrites a newer one. */
  readonly attempt: string;
  readonly lockedUntil: number;
  /** Epoch seconds: the table's TTL attribute, and compared on every claim (TTL deletes late). */
  readonly expiration: number;
  readonly response?: HttpResult;
}

export function dynamoIdempotencyGuard(client: DynamoDBDocumentClient, tableName: string): IdempotencyGuard {
  return {
    async run(request, action) {
      const id = `${request.storeId}#${request.key}`;
      const fingerprint = createHash('sha256').update(request.fingerprint).digest('base64url');
      const attempt = randomUUID();
      const now = Date.now();
      const remaining = request.lambdaContext.getRemainingTimeInMillis();
      const record: IdempotencyRecord = {
        id,
        status: 'in_progress',
        fingerprint,
        attempt,
        lockedUntil: now + (remaining > 0 ? remaining : defaultLockMs),
        expiration: Math.floor(now / 1000) + keptForSeconds,
      };
      const existing = await claim(client, tableName, record, now);
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint) {
          throw new IdempotencyKeyReused(
            'This Idempotency-Key was already used with a different request (method, path or body).',
          );
        }
        if (existing.status === 'completed' && existing.response !== undefined) {
          return { result: existing.response, replayed: true };
        }
        throw new IdempotencyKeyInUse(
          'A request with this Idempotency-Key is still being processed; retry shortly.',
        );
      }

      let result: HttpResult;
      try {
        result = await action();
      } catch (error) {
        await release(client, tableName, id, attempt);
        throw error;
      }
      await complete(client, tableName, id, attempt, result);
      return { result, replayed: false };
    },
  };
}

/** Claims the key, or returns the record that holds it (unexpired, and not an abandoned claim). */
async function claim(
  client: DynamoDBDocumentClient,
  tableName: string,
  record: IdempotencyRecord,
  now: number,
): Promise<IdempotencyRecord | undefined> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: record,
        ConditionExpression:
          'attribute_not_exists(id) OR expiration < :nowSeconds OR (#status = :inProgress AND lockedUntil < :nowMs)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':nowSeconds': Math.floor(now / 1000),
          ':nowMs': now,
          ':inProgress': 'in_progress',
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return undefined;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException) || error.Item === undefined) throw error;
    return unmarshall(error.Item) as IdempotencyRecord;
  }
}

async function complete(
  client: DynamoDBDocumentClient,
  tableName: string,
  id: string,
  attempt: string,
  response: HttpResult,
): Promise<void> {
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { id },
        UpdateExpression: 'SET #status = :completed, #response = :response',
        ConditionExpression: 'attempt = :attempt',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
        ExpressionAttributeValues: { ':completed': 'completed', ':response': response, ':attempt': attempt },
      }),
    );
  } catch (error) {
    // Our claim lapsed and a retry took the key over: its outcome will be the one kept.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Drops our claim after a failure (5xx), so that a retry runs again instead of replaying it. */
async function release(client: DynamoDBDocumentClient, tableName: string, id: string, attempt: string) {
  try {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { id },
        ConditionExpression: 'attempt = :attempt',
        ExpressionAttributeValues: { ':attempt': attempt },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
