/**
 * Velocity counters (contract section 6: orders created per email, IP and card within a window),
 * in hour buckets: `STORE#<storeId>#VELOCITY#<kind>#<value>` / `<yyyy-mm-ddThh>`, `count` raised
 * with `ADD`. The checkout counts the email (by its keyed hash) and the IP in its own transaction,
 * so an order counts from its creation whether or not it is ever paid; the card is only known
 * once a payment is authorised, so fraud screening counts it then (functions/fraud).
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
