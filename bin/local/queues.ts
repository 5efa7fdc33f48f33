import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDefinition } from '../../lib/topology.ts';

export interface LocalQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/** SQS's maximum retention, so a dead letter stays long enough to be looked at. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * Creates each queue of lib/topology.ts as `<prefix><name>` with a dead-letter queue
 * `<prefix><name>-dlq` and a redrive policy after the definition's `maxReceiveCount`. Calling it
 * again with the same arguments returns the same queues (SQS's CreateQueue is idempotent).
 *
 * @param visibilityTimeoutSeconds how long a received message stays hidden; a small value makes
 *   failed messages come back quickly locally (SQS's default is 30 s).
 * @returns logical queue name → URLs and ARNs of the queue and its dead-letter queue
 */
export async function createQueues(
  client: SQSClient,
  definitions: readonly QueueDefinition[],
  prefix: string,
  options: { visibilityTimeoutSeconds?: number } = {},
): Promise<Record<string, LocalQueue>> {
  const visibilityTimeout = String(options.visibilityTimeoutSeconds ?? 30);
  const created: Record<string, LocalQueue> = {};
  for (const definition of definitions) {
    const dlq = await createQueue(client, `${prefix}${definition.name}-dlq`, {
      MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
    });
    const queue = await createQueue(client, `${prefix}${definition.name}`, {
      VisibilityTimeout: visibilityTimeout,
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: definition.maxReceiveCount,
      }),
    });
    created[definition.name] = { url: queue.url, arn: queue.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
  }
  return created;
}

async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (url === undefined) {
    throw new Error(`CreateQueue returned no URL for ${name}`);
  }
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) {
    throw new Error(`GetQueueAttributes returned no QueueArn for ${name}`);
  }
  return { url, arn };
}
