/**
 * Where the shipping events consumer reads and writes (key layout in `shipping-keys.ts`): the
 * tracking head that routes an event to its shipment's order, the order itself (a Put guarded by
 * the version read, as every order write, in one transaction with the KPI items the event brings),
 * and the early events kept for a tracking number no shipment has yet.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../domain/order.ts';
import type { Clock } from '../domain/ports.ts';
import type { TrackingEvent } from '../domain/shipping.ts';
import type {
  KeepOutcome,
  TrackingEvents,
  TrackingHead,
  VersionedOrder,
} from '../shipping/apply-tracking-event.ts';
import { saveOrderWithKpis } from './kpi-writes.ts';
import { orderKey, storedOrder } from './order-items.ts';
import { earlyEventKey, earlyEventTtlDays, trackingHeadKey } from './shipping-keys.ts';
import { systemClock } from './system.ts';

/** The DynamoDB TTL (epoch seconds) of an early event received at `receivedAt`. */
export function earlyEventTtl(receivedAt: string): number {
  return Math.floor(new Date(receivedAt).getTime() / 1000) + earlyEventTtlDays * 86_400;
}

export class TrackingRepository implements TrackingEvents {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** When writes happen: a fact written more than an hour after it happened marks its hour stale. */
    private readonly clock: Clock = systemClock,
  ) {}

  async head(storeId: string, carrier: string, trackingNumber: string): Promise<TrackingHead | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: trackingHeadKey(storeId, carrier, trackingNumber),
        ProjectionExpression: 'shipmentId, orderId',
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    return { shipmentId: stringOrUndefined(Item.shipmentId), orderId: stringOrUndefined(Item.orderId) };
  }

  async order(storeId: string, orderId: string): Promise<VersionedOrder | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: orderKey(storeId, orderId), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { version, order } = storedOrder(Item);
    return { version, order };
  }

  /** A delivery, an exception or a moved delivery time brings facts: then the Put becomes a transaction. */
  saveOrder(storeId: string, read: VersionedOrder, next: Order): Promise<'saved' | 'conflict'> {
    return saveOrderWithKpis(this.client, this.tableName, storeId, read, next, this.clock.now());
  }

  /**
   * One transaction: the event's item, if this `eventId` is not kept yet, and `earlyEvents + 1`
   * on the head (created here if need be), if no shipment has the number. Shipment creation
   * conditions on that count, so it either saw this event or fails and reads it.
   */
  async keepEarlyEvent(storeId: string, event: TrackingEvent, receivedAt: string): Promise<KeepOutcome> {
    const { carrier, trackingNumber } = event;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...earlyEventKey(storeId, carrier, trackingNumber, event.eventId),
                  entity: 'earlyTrackingEvent',
                  storeId,
                  event,
                  receivedAt,
                  ttl: earlyEventTtl(receivedAt),
                },
                ConditionExpression: 'attribute_not_exists(sk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: trackingHeadKey(storeId, carrier, trackingNumber),
                UpdateExpression:
                  'SET #entity = :entity, #storeId = :storeId, #carrier = :carrier, #trackingNumber = :trackingNumber ADD #earlyEvents :one',
                ConditionExpression: 'attribute_not_exists(#shipmentId)',
                ExpressionAttributeNames: {
                  '#entity': 'entity',
                  '#storeId': 'storeId',
                  '#carrier': 'carrier',
                  '#trackingNumber': 'trackingNumber',
                  '#earlyEvents': 'earlyEvents',
                  '#shipmentId': 'shipmentId',
                },
                ExpressionAttributeValues: {
                  ':entity': 'trackingHead',
                  ':storeId': storeId,
                  ':carrier': carrier,
                  ':trackingNumber': trackingNumber,
                  ':one': 1,
                },
              },
            },
          ],
        }),
      );
      return 'kept';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [eventItem, head] = error.CancellationReasons ?? [];
      if (eventItem?.Code === 'ConditionalCheckFailed') return 'already_kept';
      if (head?.Code === 'ConditionalCheckFailed') return 'shipment_exists';
      if ((error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')) {
        return 'conflict';
      }
      throw error;
    }
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
