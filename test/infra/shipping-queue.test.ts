/**
 * The real stack's `shipping-events` wiring (issue 4): the carriers' webhook receiver may send to
 * the queue and read the main table, nothing more; the consumer gets the queue in batches that
 * report item failures, with a DLQ after 5 receives and its two alarms. The generic queue rules are
 * proven on a fixture in queues.test.ts; this pins them to the queue the contract's section 7 needs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { idempotencyTable, mainTable } from '../../lib/data-model.ts';
import { actionsOn, logicalIdOf, permissionsOf } from './policies.ts';
import { functionLogicalId, type Synthesized, synthesize } from './synth.ts';

let synthesized: Synthesized;
let queueId: string;
let dlqId: string;

beforeAll(() => {
  synthesized = synthesize();
  const resources = synthesized.stack.queues.get('shipping-events');
  queueId = logicalIdOf(synthesized.stack, resources.queue);
  dlqId = logicalIdOf(synthesized.stack, resources.deadLetterQueue);
});

describe('the shipping-events queue', () => {
  it('redrives to its DLQ after 5 receives, with 6 × the consumer’s 30 s timeout', () => {
    const resources = synthesized.template.toJSON().Resources;
    expect(resources[queueId].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
  });

  it('feeds the shipping events consumer in batches of 10 that report item failures', () => {
    synthesized.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(synthesized.template, 'shippingEvents') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('alarms on a message in its DLQ and on its oldest message’s age', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
    });
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 5 * 180,
    });
  });
});

describe('the carriers’ webhook receiver', () => {
  it('may send to the queue and read the main table, and do nothing else there', () => {
    const permissions = permissionsOf(synthesized.template, 'shippingWebhook');
    expect(actionsOn(permissions, queueId)).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    expect(actionsOn(permissions, dlqId)).toEqual([]);
    const main = logicalIdOf(synthesized.stack, synthesized.stack.data.table(mainTable));
    const tableActions = actionsOn(permissions, main);
    expect(tableActions).toContain('dynamodb:GetItem');
    expect(tableActions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    const idempotency = logicalIdOf(synthesized.stack, synthesized.stack.data.table(idempotencyTable));
    expect(actionsOn(permissions, idempotency)).toEqual([]);
  });

  it('is the only function that sends to the queue', () => {
    const senders = Object.keys(synthesized.template.findResources('AWS::Lambda::Function')).filter((id) => {
      const environment = synthesized.template.toJSON().Resources[id].Properties.Environment?.Variables ?? {};
      return 'SHIPPING_EVENTS_QUEUE_URL' in environment;
    });
    expect(senders).toEqual([functionLogicalId(synthesized.template, 'shippingWebhook')]);
  });
});
