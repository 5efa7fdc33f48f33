/** Every alarm of the stack reaches someone: one encrypted SNS topic, notified on alarm and on recovery. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Alerting } from '../../lib/constructs/alerting.ts';
import { functionDefinition, functionNames, queues } from '../../lib/topology.ts';
import { logicalIdOf } from './policies.ts';
import { functionLogicalId, type Synthesized, synthesize } from './synth.ts';

let synthesized: Synthesized;
let topicId: string;

beforeAll(() => {
  synthesized = synthesize();
  topicId = logicalIdOf(synthesized.stack, synthesized.stack.alerting.topic);
});

describe('alerting', () => {
  it('sends every alarm to the topic, when it fires and when it clears', () => {
    const alarms = Object.values(synthesized.template.findResources('AWS::CloudWatch::Alarm'));
    // The queues' two each, one per function, one for the HTTP API.
    expect(alarms).toHaveLength(queues.length * 2 + functionNames.length + 1);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
    }
  });

  it.each(functionNames)('alarms on the errors of %s', (name) => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(synthesized.template, name) } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it.each(functionNames.filter((name) => (functionDefinition(name).schedules ?? []).length > 0))(
    'does not retry a failed scheduled run of %s: the next run does its work',
    (name) => {
      synthesized.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionLogicalId(synthesized.template, name) },
        MaximumRetryAttempts: 0,
      });
    },
  );

  it("alarms on the HTTP API's 5xx answers", () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Threshold: 5,
    });
  });

  it('encrypts the topic with a rotated key that CloudWatch may use, and takes only TLS', () => {
    const keyId = logicalIdOf(
      synthesized.stack,
      synthesized.stack.alerting.topic.masterKey ?? synthesized.stack,
    );
    synthesized.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    synthesized.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the alarm email when one is given, and none otherwise', () => {
    synthesized.template.resourceCountIs('AWS::SNS::Subscription', 0);
    const stack = new Stack(new App(), 'AlertingFixture');
    new Alerting(stack, 'Alerting', { email: 'ops@example.com' });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});
