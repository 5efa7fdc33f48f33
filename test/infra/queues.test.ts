/**
 * The topology declares no queue yet, so the queue wiring is proven on a fixture topology: one
 * queue, a function that sends to it, one that consumes it, one with a schedule.
 */
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { mainTable } from '../../lib/data-model.ts';
import { SalesOpsStack } from '../../lib/sales-ops-stack.ts';
import type { FunctionDefinition, QueueDefinition } from '../../lib/topology.ts';
import { actionsOn, logicalIdOf, permissionsOf } from './policies.ts';
import { functionLogicalId, noBundling, type Synthesized, synthesize } from './synth.ts';
import { synthesizedTopology } from './synthesized-topology.ts';

const entry = 'test/infra/fixtures/handler.ts';
const shipmentEvents: QueueDefinition = { name: 'shipment-events', maxReceiveCount: 4, batchSize: 25 };
const fixtureFunctions = {
  producer: {
    capability: 'orders',
    entry,
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ key: 'POST /v1/things', auth: 'store' }],
    access: { table: 'readWrite', sendsTo: ['shipment-events'] },
  },
  consumer: {
    capability: 'checkout',
    entry,
    memoryMb: 256,
    timeoutSeconds: 20,
    consumes: 'shipment-events',
    access: { table: 'read' },
  },
  reporter: {
    capability: 'catalog',
    entry,
    memoryMb: 128,
    timeoutSeconds: 30,
    schedules: [
      { name: 'hourly', everyMinutes: 60 },
      { name: 'often', everyMinutes: 5 },
    ],
    access: {},
  },
} satisfies Record<string, FunctionDefinition>;

let synthesized: Synthesized;
let queueId: string;
let dlqId: string;

beforeAll(() => {
  synthesized = synthesize({ functions: fixtureFunctions, queues: [shipmentEvents] });
  const resources = synthesized.stack.queues.get('shipment-events');
  queueId = logicalIdOf(synthesized.stack, resources.queue);
  dlqId = logicalIdOf(synthesized.stack, resources.deadLetterQueue);
});

describe('a topology queue', () => {
  it('is read back by synthesizedTopology, without its DLQ', () => {
    expect(synthesizedTopology(synthesized.template)).toEqual({
      routes: ['POST /v1/things'],
      queues: ['shipment-events'],
      schedules: [
        { functionName: 'reporter', everyMinutes: 5 },
        { functionName: 'reporter', everyMinutes: 60 },
      ],
    });
  });

  it('redrives to its DLQ after maxReceiveCount, with SSE and 6 × the consumer timeout', () => {
    const resources = synthesized.template.toJSON().Resources;
    synthesized.template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(resources[queueId].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 20,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 4 },
    });
    expect(resources[dlqId].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('refuses requests without TLS on the queue and its DLQ', () => {
    for (const id of [queueId, dlqId]) {
      synthesized.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Principal: { AWS: '*' },
              Resource: { 'Fn::GetAtt': [id, 'Arn'] },
            },
          ],
        },
      });
    }
  });

  it('feeds its consumer in batches that report item failures', () => {
    synthesized.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    synthesized.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(synthesized.template, 'consumer') },
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('alarms when its DLQ holds a message and when its oldest message is too old', () => {
    const queueAlarms = synthesized.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { Namespace: 'AWS/SQS' },
    });
    expect(Object.values(queueAlarms)).toHaveLength(2);
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      // Longest a failing message may live before redrive: maxReceiveCount visibility timeouts.
      Threshold: 4 * 6 * 20,
    });
  });
});

describe('queue grants', () => {
  it('lets the sender send, with the queue URL in its env, and nothing more', () => {
    const permissions = permissionsOf(synthesized.template, 'producer');
    expect(actionsOn(permissions, queueId)).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    expect(actionsOn(permissions, dlqId)).toEqual([]);
    const producer =
      synthesized.template.toJSON().Resources[functionLogicalId(synthesized.template, 'producer')];
    expect(producer.Properties.Environment.Variables.SHIPMENT_EVENTS_QUEUE_URL).toEqual({ Ref: queueId });
  });

  it('lets the consumer consume but not send', () => {
    const actions = actionsOn(permissionsOf(synthesized.template, 'consumer'), queueId);
    expect(actions).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
    );
    expect(actions).not.toContain('sqs:SendMessage');
  });

  it('gives a read-only table access no write action', () => {
    const main = logicalIdOf(synthesized.stack, synthesized.stack.data.table(mainTable));
    const actions = actionsOn(permissionsOf(synthesized.template, 'consumer'), main);
    expect(actions).toContain('dynamodb:Query');
    expect(actions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });
});

describe('topology mistakes fail the synth', () => {
  const build = (functions: Record<string, FunctionDefinition>, queues: QueueDefinition[]) => () =>
    new SalesOpsStack(new App({ context: noBundling }), 'Broken', { functions, queues });

  it('refuses a queue nobody consumes', () => {
    expect(build({ producer: fixtureFunctions.producer }, [shipmentEvents])).toThrow(/no consuming function/);
  });

  it('refuses sending to an undeclared queue', () => {
    expect(build({ producer: fixtureFunctions.producer }, [])).toThrow(/'shipment-events' is not declared/);
  });

  it('refuses consuming an undeclared queue', () => {
    expect(build({ consumer: fixtureFunctions.consumer }, [])).toThrow(/'shipment-events' is not declared/);
  });

  it('refuses two consumers of one queue', () => {
    const functions = { consumer: fixtureFunctions.consumer, other: fixtureFunctions.consumer };
    expect(build(functions, [shipmentEvents])).toThrow(/consumed by both 'consumer' and 'other'/);
  });
});
