/**
 * The fraud screening's own state on the main table, per store:
 * - velocity counters in hour buckets (functions/adapters/velocity-keys.ts): the checkout counts
 *   the email and the IP when it creates the order; screening counts the card, which only the
 *   authorised charge names. Each order's card is counted once: a marker
 *   `STORE#<storeId>#VELOCITY#COUNTED#<orderId>` is put in the same transaction, only if absent, so
 *   a redelivered screening does not count it again. A window is read with a Query over its
 *   buckets, never a Scan.
 * - the first order of each email: `STORE#<storeId>#CUSTOMER#<emailHash>` records the first order
 *   screened for that email; a conditional Put keeps it.
 * - the dispute history, written by the payment events consumer (`priorDisputeKey`).
 * TTL deletion is not relied upon (DynamoDB Local never deletes): the windows bound the reads.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { priorDisputeKey } from '../adapters/orders-repository.ts';
import { queryItems } from '../adapters/query-items.ts';
import {
  hourBucket,
  type VelocitySubject,
  velocityBucketTtl,
  velocityIncrement,
  velocityKey,
  velocityWindowRange,
} from '../adapters/velocity-keys.ts';

export type { VelocityKind, VelocitySubject } from '../adapters/velocity-keys.ts';
export { hourBucket, velocityKey } from '../adapters/velocity-keys.ts';

const hourMs = 3_600_000;

export const velocityCountedKey = (storeId: string, orderId: string) => ({
  pk: `STORE#${storeId}#VELOCITY#COUNTED#${orderId}`,
  sk: '#COUNTED',
});

export const firstOrderKey = (storeId: string, emailHash: string) => ({
  pk: `STORE#${storeId}#CUSTOMER#${emailHash}`,
  sk: '#CUSTOMER',
});

export class FraudSignalsRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Counts the order once in the current bucket of each subject; a second call for the same
   * order changes nothing. Returns whether this call counted it.
   */
  async countOrder(
    storeId: string,
    orderId: string,
    subjects: readonly VelocitySubject[],
    at: Date,
  ): Promise<boolean> {
    const bucket = hourBucket(at);
    const ttl = velocityBucketTtl(bucket);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...velocityCountedKey(storeId, orderId),
                  entity: 'velocityCounted',
                  at: at.toISOString(),
                  ttl,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...subjects.map((subject) => velocityIncrement(this.tableName, storeId, subject, bucket)),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      )
        return false;
      throw error;
    }
  }

  /**
   * Orders counted for the subject in the `windowHours` up to `at`: the card's hour buckets and
   * the checkout's per-order marks alike (velocity-keys.ts), each holding its `count`.
   */
  async ordersInWindow(
    storeId: string,
    subject: VelocitySubject,
    at: Date,
    windowHours: number,
  ): Promise<number> {
    const { from, to } = velocityWindowRange(
      hourBucket(new Date(at.getTime() - windowHours * hourMs)),
      hourBucket(at),
    );
    const { pk } = velocityKey(storeId, subject, '');
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
      ProjectionExpression: '#count',
      ExpressionAttributeNames: { '#count': 'count' },
      ConsistentRead: true,
    });
    return items.reduce((total, item) => total + (typeof item.count === 'number' ? item.count : 0), 0);
  }

  /**
   * Whether this is the first order of the email in the store: the first order screened for it
   * is recorded, and stays; asking again for that order answers true again.
   */
  async isFirstOrder(storeId: string, emailHash: string, orderId: string, at: Date): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...firstOrderKey(storeId, emailHash),
            entity: 'customer',
            firstOrderId: orderId,
            at: at.toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR firstOrderId = :orderId',
          ExpressionAttributeValues: { ':orderId': orderId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Whether the email (by hash) or the card had a dispute in the store. */
  async priorDisputes(
    storeId: string,
    emailHash: string,
    cardFingerprint: string | undefined,
  ): Promise<{ email: boolean; card: boolean }> {
    const exists = async (key: { pk: string; sk: string }) => {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return Item !== undefined;
    };
    const [email, card] = await Promise.all([
      exists(priorDisputeKey(storeId, 'EMAIL', emailHash)),
      cardFingerprint === undefined
        ? Promise.resolve(false)
        : exists(priorDisputeKey(storeId, 'CARD', cardFingerprint)),
    ]);
    return { email, card };
  }
}
