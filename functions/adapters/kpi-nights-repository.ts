/**
 * The nightly scheduler's bookkeeping on the main table (docs/kpis.md "Schedules"): the night each
 * zone last took and last finished (`STORES#TZ#<zone>` / `#NIGHT`: `lastDate` and `claimedAt`,
 * taken with a conditional write so that one run at a time holds a night, and `doneDate`), each
 * store's started nights (`STORE#<storeId>#NIGHTS` / `<date>`, kept 40 days), and the stores'
 * stale markers (`STORE#<storeId>#STALE` / `<UTC hour>` with `markedAt`, written by every order
 * writer).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StaleMarker, StaleMarkers } from '../kpis/jobs.ts';
import { nightLeaseMs, type StoreNights, type ZoneNights } from '../kpis/scheduler.ts';
import { staleMarkersPartition, storeNightKey, zoneNightKey } from './kpi-keys.ts';

/** A store's started night is only read while its zone's night may still be taken over. */
const storeNightKeptSeconds = 40 * 24 * 3600;

export class KpiNightsRepository implements ZoneNights, StoreNights, StaleMarkers {
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
          // A later night than the last one taken; or that same night, not done, whose run's lease
          // has lapsed (the run died or failed for some stores).
          ConditionExpression:
            'attribute_not_exists(#lastDate) OR #lastDate < :date OR ' +
            '(#lastDate = :date AND #claimedAt <= :leaseLapsedBefore AND ' +
            '(attribute_not_exists(#doneDate) OR #doneDate < :date))',
          ExpressionAttributeNames: {
            '#lastDate': 'lastDate',
            '#claimedAt': 'claimedAt',
            '#doneDate': 'doneDate',
            '#entity': 'entity',
          },
          ExpressionAttributeValues: {
            ':date': date,
            ':at': at.toISOString(),
            ':leaseLapsedBefore': new Date(at.getTime() - nightLeaseMs).toISOString(),
            ':entity': 'zoneNight',
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async complete(timeZone: string, date: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: zoneNightKey(timeZone),
          UpdateExpression: 'SET #doneDate = :date, #doneAt = :at',
          ConditionExpression: 'attribute_not_exists(#doneDate) OR #doneDate < :date',
          ExpressionAttributeNames: { '#doneDate': 'doneDate', '#doneAt': 'doneAt' },
          ExpressionAttributeValues: { ':date': date, ':at': at.toISOString() },
        }),
      );
    } catch (error) {
      // Done already, by a run that took the night over after this one's lease lapsed.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async started(storeId: string, date: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: storeNightKey(storeId, date),
        ProjectionExpression: 'pk',
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }

  async recordStarted(storeId: string, date: string, jobId: string, at: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...storeNightKey(storeId, date),
          entity: 'storeNight',
          jobId,
          startedAt: at.toISOString(),
          ttl: Math.floor(at.getTime() / 1000) + storeNightKeptSeconds,
        },
      }),
    );
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
