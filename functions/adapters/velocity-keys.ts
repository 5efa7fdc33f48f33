/**
 * Velocity counters (contract section 6: orders created per email, IP and card within a window),
 * in one partition per subject, `STORE#<storeId>#VELOCITY#<kind>#<value>`, sorted by hour:
 * - the checkout counts the email (by its keyed hash) and the IP in its own transaction, so an
 *   order counts from its creation whether or not it is ever paid. It puts one item per order,
 *   `<yyyy-mm-ddThh>#<orderId>` with `count: 1`, never a shared counter: shoppers behind one IP
 *   (a carrier's NAT, an office) check out at once, and transactions updating one item would
 *   cancel each other (`TransactionConflict`);
 * - the card is only known once a payment is authorised, so fraud screening counts it then, in an
 *   hour bucket `<yyyy-mm-ddThh>` whose `count` it raises with `ADD` (functions/fraud).
 * A window sums `count` over `sk` from its first hour to the end of its last, covering both shapes.
 */

/** What a velocity counter counts orders by; the email is counted by its hash. */
export type VelocityKind = 'EMAIL' | 'IP' | 'CARD';

export interface VelocitySubject {
  readonly kind: VelocityKind;
  readonly value: string;
}

/** The longest `velocityWindowHours` a store may set (settings.ts), plus the bucket's own hour. */
const counterLifetimeHours = 720 + 1;

export const velocityKey = (storeId: string, subject: VelocitySubject, bucket: string) => ({
  pk: `STORE#${storeId}#VELOCITY#${subject.kind}#${subject.value}`,
  sk: bucket,
});

/** The hour bucket of a time: `2026-11-29T02`. ISO prefixes sort like the times they name. */
export function hourBucket(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** When a bucket can no longer fall in any window (TTL, epoch seconds); reads never rely on it. */
export function velocityBucketTtl(bucket: string): number {
  return Math.floor(Date.parse(`${bucket}:00:00.000Z`) / 1000) + counterLifetimeHours * 3600;
}

/** The checkout's mark of one order for one subject, as a transaction action (a new item, no contention). */
export function velocityOrderMark(
  tableName: string,
  storeId: string,
  subject: VelocitySubject,
  at: Date,
  orderId: string,
) {
  const bucket = hourBucket(at);
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...velocityKey(storeId, subject, `${bucket}#${orderId}`),
        entity: 'velocityOrder',
        count: 1,
        ttl: velocityBucketTtl(bucket),
      },
    },
  };
}

/** The sort-key range of a window's hours: from the first bucket to the end of the last one. */
export function velocityWindowRange(firstBucket: string, lastBucket: string) {
  return { from: firstBucket, to: `${lastBucket}\uffff` };
}

/** The `ADD count 1` of one subject's bucket, as a transaction action. */
export function velocityIncrement(
  tableName: string,
  storeId: string,
  subject: VelocitySubject,
  bucket: string,
) {
  return {
    Update: {
      TableName: tableName,
      Key: velocityKey(storeId, subject, bucket),
      UpdateExpression: 'ADD #count :one SET #ttl = :ttl, entity = :entity',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':ttl': velocityBucketTtl(bucket),
        ':entity': 'velocityBucket',
      },
    },
  };
}
