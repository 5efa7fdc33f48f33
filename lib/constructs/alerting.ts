import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi as ApiGatewayHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertingProps {
  /** Subscribed to the alarm topic (it confirms by email); without it, subscribe after deploying. */
  readonly email?: string;
}

/**
 * Where the stack's alarms go: one SNS topic, which every alarm notifies when it fires and when it
 * clears. The topic is encrypted with a key of its own, because CloudWatch cannot publish to a
 * topic under the AWS-managed SNS key; the key lets CloudWatch use it, and nothing else new.
 * Besides the queues' alarms (queues.ts), each function alarms on its errors (an exception, a
 * timeout, running out of memory: HTTP handlers answer 4xx and 5xx without throwing) and the HTTP
 * API on its 5xx answers.
 */
export class Alerting extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlertingProps = {}) {
    super(scope, id);
    const key = new Key(this, 'TopicKey', {
      description: 'Encrypts the Sales Ops alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only for this account's alarms (no confused deputy).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.key = key;
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Sales Ops alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
    this.action = new SnsAction(this.topic);
  }

  /** Sends the alarm's state changes to the topic. */
  notify(alarm: Alarm): void {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }

  /** Alarms when the function fails an invocation, and notifies. */
  alarmOnErrors(scope: Construct, functionName: string, fn: IFunction): Alarm {
    const alarm = new Alarm(scope, 'ErrorsAlarm', {
      alarmDescription: `Function '${functionName}' failed an invocation (an exception, a timeout or out of memory)`,
      metric: fn.metricErrors({ period: Duration.minutes(1) }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm);
    return alarm;
  }

  /** Alarms when the HTTP API answers 5xx (five in a minute: one may be a store's retry of Stripe's blip). */
  alarmOnServerErrors(scope: Construct, api: ApiGatewayHttpApi): Alarm {
    const alarm = new Alarm(scope, 'ServerErrorsAlarm', {
      alarmDescription: 'The HTTP API answered 5xx at least five times in a minute',
      metric: api.metricServerError({ period: Duration.minutes(1), statistic: 'Sum' }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 5,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm);
    return alarm;
  }
}
