/**
 * The store registry as the nightly scheduler reads it (docs/kpis.md "Schedules"): the set of
 * zones in use (`STORES#TIMEZONES` / `#SET`, string set `zones`) and, per zone, its stores
 * (`STORES#TZ#<zone>` / `<storeId>`). That partition also holds the zone's `#NIGHT` item, hence
 * `begins_with(sk, 'str_')`. The registry is written with the store (functions/adapters/stores-repository.ts).
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { storesOfZonePartition, timeZonesKey } from './kpi-keys.ts';

export class StoreRegistryReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The zones that have (or had) stores, sorted. */
  async zones(): Promise<string[]> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: timeZonesKey, ProjectionExpression: 'zones' }),
    );
    const zones: unknown = Item?.zones;
    return zones instanceof Set ? [...zones].filter((zone) => typeof zone === 'string').sort() : [];
  }

  /** The ids of the zone's stores, a page at a time. */
  async *storesOfZone(timeZone: string): AsyncGenerator<string[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :store)',
          ExpressionAttributeValues: { ':pk': storesOfZonePartition(timeZone), ':store': 'str_' },
          ProjectionExpression: 'sk',
          ExclusiveStartKey: startKey,
        }),
      );
      const ids = (page.Items ?? []).map((item) => item.sk).filter((sk) => typeof sk === 'string');
      if (ids.length > 0) yield ids;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
}
