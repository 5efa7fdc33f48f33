/**
 * Rollup jobs on the main table (docs/kpis.md "On demand"): `STORE#<storeId>#ROLLUP#<rlp_id>` /
 * `#ROLLUP`. The store is part of the key, so another store's job id is simply not found.
 *
 * Every change is one conditional UpdateItem: a day is counted with `ADD done 1` and its date
 * added to the string set `doneDates`, unless the set holds it already (SQS delivers at least
 * once) or the job is over; the new item comes back whole, since the day that completes the count
 * needs the job's `dates` and `total`.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod/mini';
import type { RollupJob, RollupJobs } from '../kpis/jobs.ts';
import { rollupJobStatuses } from '../kpis/jobs.ts';
import { rollupJobKey } from './kpi-keys.ts';

/** The TTL only tidies old jobs away; nothing depends on when it does. */
const keptForSeconds = 90 * 24 * 60 * 60;

const StoredJob = z.object({
  id: z.string(),
  storeId: z.string(),
  origin: z.enum(['api', 'nightly']),
  status: z.enum(rollupJobStatuses),
  from: z.string(),
  to: z.string(),
  dates: z.array(z.string()),
  total: z.number(),
  done: z.number(),
  // A string set; absent until the first day is counted (DynamoDB has no empty sets).
  doneDates: z.optional(z.set(z.string())),
  staleMarkers: z.optional(z.array(z.object({ hour: z.string(), markedAt: z.string() }))),
  lastAttemptDeadlines: z.optional(z.record(z.string(), z.string())),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function jobOf(item: Record<string, unknown>): RollupJob {
  const stored = StoredJob.parse(item);
  return {
    ...stored,
    doneDates: [...(stored.doneDates ?? [])].sort(),
    staleMarkers: stored.staleMarkers ?? [],
    lastAttemptDeadlines: stored.lastAttemptDeadlines ?? {},
  };
}

export class RollupJobsRepository implements RollupJobs {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: RollupJob): Promise<void> {
    const { doneDates: _doneDates, ...item } = job;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...rollupJobKey(job.storeId, job.id),
          entity: 'rollupJob',
          ...item,
          ttl: Math.floor(Date.parse(job.createdAt) / 1000) + keptForSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(storeId: string, jobId: string): Promise<RollupJob | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: rollupJobKey(storeId, jobId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : jobOf(Item);
  }

  async recordDay(storeId: string, jobId: string, date: string, at: Date) {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rollupJobKey(storeId, jobId),
          UpdateExpression: 'ADD #done :one, #doneDates :dates SET #status = :running, #updatedAt = :at',
          ConditionExpression:
            'attribute_exists(pk) AND NOT contains(#doneDates, :date) AND #status IN (:queued, :running)',
          ExpressionAttributeNames: {
            '#done': 'done',
            '#doneDates': 'doneDates',
            '#status': 'status',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ':dates': new Set([date]),
            ':date': date,
            ':queued': 'queued',
            ':running': 'running',
            ':at': at.toISOString(),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (Attributes === undefined) throw new Error('UpdateItem returned no attributes');
      return { counted: true, job: jobOf(Attributes) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (error.Item === undefined) return undefined;
      return { counted: false, job: jobOf(unmarshall(error.Item)) };
    }
  }

  async recordLastAttempt(storeId: string, jobId: string, step: string, deadline: Date): Promise<void> {
    const at = deadline.toISOString();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rollupJobKey(storeId, jobId),
          UpdateExpression: 'SET #deadlines.#step = :deadline',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#deadlines': 'lastAttemptDeadlines', '#step': step },
          ExpressionAttributeValues: { ':deadline': at },
        }),
      );
    } catch (error) {
      // No such job: the message is processed (and fails) as it would have.
      if (error instanceof ConditionalCheckFailedException) return;
      // A job written before jobs had the map: DynamoDB cannot set a path inside a missing map.
      if (!(error instanceof Error && error.name === 'ValidationException')) throw error;
      await this.client
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: rollupJobKey(storeId, jobId),
            UpdateExpression: 'SET #deadlines = :deadlines',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#deadlines)',
            ExpressionAttributeNames: { '#deadlines': 'lastAttemptDeadlines' },
            ExpressionAttributeValues: { ':deadlines': { [step]: at } },
          }),
        )
        .catch((retryError: unknown) => {
          if (!(retryError instanceof ConditionalCheckFailedException)) throw retryError;
        });
    }
  }

  async complete(storeId: string, jobId: string, at: Date): Promise<void> {
    await this.setStatus(
      storeId,
      jobId,
      'completed',
      { condition: '#status = :guard', guard: 'running' },
      at,
    );
  }

  async fail(storeId: string, jobId: string, at: Date): Promise<void> {
    await this.setStatus(
      storeId,
      jobId,
      'failed',
      { condition: '#status <> :guard', guard: 'completed' },
      at,
    );
  }

  private async setStatus(
    storeId: string,
    jobId: string,
    status: 'completed' | 'failed',
    when: { readonly condition: string; readonly guard: string },
    at: Date,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rollupJobKey(storeId, jobId),
          UpdateExpression: 'SET #status = :status, #updatedAt = :at',
          ConditionExpression: `attribute_exists(pk) AND ${when.condition}`,
          ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':status': status, ':at': at.toISOString(), ':guard': when.guard },
        }),
      );
    } catch (error) {
      // The job is gone, or already in a status this change must not overwrite.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
