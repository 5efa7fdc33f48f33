/**
 * Shipments on the main table (docs/data-model.md). A shipment is part of its order's item; its
 * creation writes the order, the shipment's reference, the tracking head and the KPI items the
 * change brings (`kpi-writes.ts`) in one transaction (key layout in `shipping-keys.ts`).
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Clock } from '../domain/ports.ts';
import { Timestamp } from '../domain/schemas.ts';
import { TrackingEvent } from '../domain/shipping.ts';
import type { Shipments, ShipmentWrite, TrackingState } from '../shipping/create-shipment.ts';
import { assertTransactionSize, kpiWrites, type TransactItem } from './kpi-writes.ts';
import { orderItem, orderKey, type StoredOrder, storedOrder } from './order-items.ts';
import { queryItems } from './query-items.ts';
import { earlyEventSkPrefix, shipmentRefKey, trackingHeadKey } from './shipping-keys.ts';
import { systemClock } from './system.ts';

/** An early event as the shipping events consumer keeps it. */
const EarlyEventItem = z.object({ event: TrackingEvent, receivedAt: Timestamp });

const TrackingHeadItem = z.object({
  shipmentId: z.optional(z.string()),
  earlyEvents: z.optional(z.number()),
});

export class ShipmentsRepository implements Shipments {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** When writes happen: a fact written more than an hour after it happened marks its hour stale. */
    private readonly clock: Clock = systemClock,
  ) {}

  async getOrder(storeId: string, orderId: string): Promise<StoredOrder | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: orderKey(storeId, orderId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : storedOrder(Item);
  }

  /**
   * The tracking head and the events kept beside it, in one strongly consistent Query of its
   * partition. The head (`#TRACKING`) sorts before the events (`EVENT#…`), so it is read first:
   * an event the head's count includes is committed by then and is read too.
   */
  async readTracking(storeId: string, carrier: string, trackingNumber: string): Promise<TrackingState> {
    const head = trackingHeadKey(storeId, carrier, trackingNumber);
    let shipmentId: string | undefined;
    let earlyEventCount = 0;
    const earlyEvents: TrackingState['earlyEvents'][number][] = [];
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': head.pk },
      ConsistentRead: true,
    });
    for (const item of items) {
      if (item.sk === head.sk) {
        const parsed = TrackingHeadItem.parse(item);
        shipmentId = parsed.shipmentId;
        earlyEventCount = parsed.earlyEvents ?? 0;
      } else if (typeof item.sk === 'string' && item.sk.startsWith(earlyEventSkPrefix)) {
        earlyEvents.push(EarlyEventItem.parse(item));
      }
    }
    return { shipmentId, earlyEventCount, earlyEvents };
  }

  /**
   * Writes the order with its new shipment (if still at the version read), the shipment's
   * reference, the tracking head and the KPI items, in one transaction. The head may not name a shipment yet,
   * and its count of early events must still be the one read (a head without the count has
   * none), so no event kept meanwhile is left out of the shipment.
   */
  async create(write: ShipmentWrite): Promise<'created' | 'conflict'> {
    const { stored, order, shipment, earlyEventCount } = write;
    const { storeId } = stored;
    const sameCount =
      earlyEventCount === 0
        ? '(attribute_not_exists(earlyEvents) OR earlyEvents = :seen)'
        : 'earlyEvents = :seen';
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: orderItem(storeId, order, stored.version + 1),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': stored.version },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...shipmentRefKey(storeId, shipment.id),
            entity: 'shipmentRef',
            storeId,
            orderId: order.id,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...trackingHeadKey(storeId, shipment.carrier, shipment.trackingNumber),
            entity: 'trackingHead',
            storeId,
            carrier: shipment.carrier,
            trackingNumber: shipment.trackingNumber,
            shipmentId: shipment.id,
            orderId: order.id,
            earlyEvents: earlyEventCount,
          },
          ConditionExpression: `attribute_not_exists(pk) OR (attribute_not_exists(shipmentId) AND ${sameCount})`,
          ExpressionAttributeValues: { ':seen': earlyEventCount },
        },
      },
      ...kpiWrites(this.tableName, storeId, stored.order, order, this.clock.now()),
    ];
    assertTransactionSize(items, `shipment ${shipment.id}`);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'created';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const lostRace = (error.CancellationReasons ?? []).some(
        (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
      );
      if (lostRace) return 'conflict';
      throw error;
    }
  }

  async orderIdOf(storeId: string, shipmentId: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: shipmentRefKey(storeId, shipmentId),
        ConsistentRead: true,
      }),
    );
    return typeof Item?.orderId === 'string' ? Item.orderId : undefined;
  }
}
