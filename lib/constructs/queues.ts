import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDefinition } from '../topology.ts';
import { topologyMetadata } from './metadata.ts';

export interface QueuesProps {
  readonly queues: readonly QueueDefinition[];
  /** Timeout, in seconds, of the function that consumes each queue, by queue name. */
  readonly consumerTimeoutSeconds: ReadonlyMap<string, number>;
}

export interface QueueResources {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  readonly ageAlarm: Alarm;
}

/**
 * AWS recommends a visibility timeout of at least six times the consumer's timeout, so that a
 * batch that Lambda retries after throttling is not redelivered while still being processed.
 */
const visibilityTimeoutPerConsumerTimeout = 6;

/** The topology's queues, each with a dead-letter queue and alarms on both. */
export class Queues extends Construct {
  private readonly byName = new Map<string, QueueResources>();

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    for (const definition of props.queues) {
      const consumerTimeout = props.consumerTimeoutSeconds.get(definition.name);
      if (consumerTimeout === undefined) {
        throw new Error(`Queue '${definition.name}' has no consuming function in the topology`);
      }
      this.byName.set(definition.name, this.createQueue(definition, consumerTimeout));
    }
  }

  /** The resources of a topology queue; throws if the topology does not declare it. */
  get(name: string): QueueResources {
    const resources = this.byName.get(name);
    if (!resources) throw new Error(`Queue '${name}' is not declared in the topology`);
    return resources;
  }

  private createQueue(definition: QueueDefinition, consumerTimeoutSeconds: number): QueueResources {
    const scope = new Construct(this, definition.name);
    const visibilityTimeout = Duration.seconds(consumerTimeoutSeconds * visibilityTimeoutPerConsumerTimeout);

    const deadLetterQueue = new Queue(scope, 'Dlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to inspect and redrive a failure.
      retentionPeriod: Duration.days(14),
    });
    const queue = new Queue(scope, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
    const cfnQueue = queue.node.defaultChild;
    if (cfnQueue instanceof CfnQueue) cfnQueue.addMetadata(topologyMetadata.queue, definition.name);

    const deadLetterAlarm = new Alarm(scope, 'DlqNotEmpty', {
      alarmDescription: `Messages of queue '${definition.name}' failed ${definition.maxReceiveCount} times and wait in its DLQ`,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // A message that keeps failing lives at most maxReceiveCount visibility timeouts before it
    // moves to the DLQ; anything older means the consumer is not keeping up.
    const longestHealthyAgeSeconds = visibilityTimeout.toSeconds() * definition.maxReceiveCount;
    const ageAlarm = new Alarm(scope, 'OldestMessageAge', {
      alarmDescription: `Queue '${definition.name}' holds a message older than ${longestHealthyAgeSeconds} s: its consumer is falling behind`,
      metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: longestHealthyAgeSeconds,
      evaluationPeriods: 5,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { queue, deadLetterQueue, deadLetterAlarm, ageAlarm };
  }
}
