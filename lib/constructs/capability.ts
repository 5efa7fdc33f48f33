import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnRule, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { idempotencyTable, mainTable } from '../data-model.ts';
import { queueUrlEnvVar, secretEnvVars } from '../runtime-env.ts';
import type { Capability, FunctionAccess, FunctionDefinition, QueueDefinition } from '../topology.ts';
import { HouseFunction } from './house-function.ts';
import { topologyMetadata } from './metadata.ts';

export interface TopologyQueue {
  readonly queue: IQueue;
  readonly definition: QueueDefinition;
}

/** What the functions of a capability may be granted. */
export interface CapabilityResources {
  readonly mainTable: ITable;
  readonly idempotencyTable: ITable;
  readonly stripeSecretKey: ISecret;
  readonly stripeWebhookSecret: ISecret;
  readonly adminToken: ISecret;
  readonly emailHashKey: ISecret;
  /** A topology queue by logical name; throws for an unknown name. */
  readonly queue: (name: string) => TopologyQueue;
}

export interface CapabilityFunctionsProps {
  readonly capability: Capability;
  /** The topology functions of this capability, by name. */
  readonly functions: ReadonlyArray<readonly [name: string, definition: FunctionDefinition]>;
  readonly resources: CapabilityResources;
  /** Repository root, where function entries and package-lock.json are. */
  readonly projectRoot: string;
}

/**
 * One capability (platform, catalog, checkout, …): its functions with exactly the access the
 * topology gives them, the queues they consume and the schedules that invoke them.
 */
export class CapabilityFunctions extends Construct {
  readonly capability: Capability;
  readonly functions: ReadonlyMap<string, HouseFunction>;

  constructor(scope: Construct, id: string, props: CapabilityFunctionsProps) {
    super(scope, id);
    this.capability = props.capability;
    const functions = new Map<string, HouseFunction>();
    for (const [name, definition] of props.functions) {
      const fn = new HouseFunction(this, name, {
        functionName: name,
        definition,
        projectRoot: props.projectRoot,
      });
      grantAccess(fn, definition.access, props.resources);
      if (definition.consumes !== undefined) {
        const consumed = props.resources.queue(definition.consumes);
        fn.consumes(consumed.queue, consumed.definition.batchSize);
      }
      if ((definition.schedules ?? []).length > 0) {
        // A scheduled run that fails (the sweeper and the KPI scheduler fail theirs when an order
        // or a store failed, for the errors alarm) is not run again by Lambda: the next scheduled
        // run does that work, and a retry would only overlap it.
        fn.configureAsyncInvoke({ retryAttempts: 0 });
      }
      for (const schedule of definition.schedules ?? []) {
        const rule = new Rule(this, `${name}-${schedule.name}-Schedule`, {
          description: `Sales Ops: runs ${name} every ${schedule.everyMinutes} min (${schedule.name})`,
          schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        });
        rule.addTarget(
          new LambdaFunction(fn, {
            // A run that cannot be delivered is superseded by the next scheduled one.
            retryAttempts: 2,
            // EventBridge accepts 1 min to 24 h.
            maxEventAge: Duration.minutes(Math.min(Math.max(1, schedule.everyMinutes), 24 * 60)),
          }),
        );
        const cfnRule = rule.node.defaultChild;
        if (cfnRule instanceof CfnRule) cfnRule.addMetadata(topologyMetadata.schedule, schedule.name);
      }
      functions.set(name, fn);
    }
    this.functions = functions;
  }
}

function grantAccess(fn: HouseFunction, access: FunctionAccess, resources: CapabilityResources): void {
  if (access.table) fn.useTable(resources.mainTable, mainTable, access.table);
  if (access.idempotencyTable) fn.useTable(resources.idempotencyTable, idempotencyTable, 'readWrite');
  if (access.stripe) fn.useSecret(resources.stripeSecretKey, secretEnvVars.stripeSecretKey);
  if (access.stripeWebhook) fn.useSecret(resources.stripeWebhookSecret, secretEnvVars.stripeWebhookSecret);
  if (access.adminToken) fn.useSecret(resources.adminToken, secretEnvVars.adminToken);
  if (access.emailHashKey) fn.useSecret(resources.emailHashKey, secretEnvVars.emailHashKey);
  for (const queueName of access.sendsTo ?? []) {
    fn.sendsTo(resources.queue(queueName).queue, queueUrlEnvVar(queueName));
  }
}
