/**
 * The nightly scheduler's bookkeeping on the main table (docs/kpis.md "Schedules"): the night each
 * zone last ran (`STORES#TZ#<zone>` / `#NIGHT`, claimed with a conditional write so that a night
 * runs once however many invocations race for it) and the stores' stale markers
 * (`STORE#<storeId>#STALE` / `<UTC hour>` with `markedAt`, written by every order writer).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StaleMarker, StaleMarkers } from '../kpis/jobs.ts';
import type { ZoneNights } from '../kpis/scheduler.ts';
import { staleMarkersPartition, zoneNightKey } from './kpi-keys.ts';

export class KpiNightsRepository implements ZoneNights, StaleMarkers {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(timeZone: string, date: string, at: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: zoneNightKey(timeZone),
          UpdateExpression: 'SET #lastDate = :date, #claimedAt = :at, #entity = :entity',
          ConditionExpression: 'attribute_not_exists(#lastDate) OR #lastDate < :date',
          ExpressionAttributeNames: {
            '#lastDate': 'lastDate',
            '#claimedAt': 'claimedAt',
            '#entity': 'entity',
          },
          ExpressionAttributeValues: { ':date': date, ':at': at.toISOString(), ':entity': 'zoneNight' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async list(storeId: string, limit: number): Promise<StaleMarker[]> {
    const markers: StaleMarker[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': staleMarkersPartition(storeId) },
          ProjectionExpression: 'sk, markedAt',
          ConsistentRead: true,
          Limit: limit - markers.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.sk === 'string' && typeof item.markedAt === 'string') {
          markers.push({ hour: item.sk, markedAt: item.markedAt });
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && markers.length < limit);
    return markers;
  }

  async delete(storeId: string, marker: StaleMarker): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: staleMarkersPartition(storeId), sk: marker.hour },
          ConditionExpression: 'markedAt = :markedAt',
          ExpressionAttributeValues: { ':markedAt': marker.markedAt },
        }),
      );
      return true;
    } catch (error) {
      // Marked again since it was read (or already deleted): it stays for the next night.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
