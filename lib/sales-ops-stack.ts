import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Alerting } from './constructs/alerting.ts';
import { CapabilityFunctions } from './constructs/capability.ts';
import { Data } from './constructs/data.ts';
import type { HouseFunction } from './constructs/house-function.ts';
import { HttpApi, type ThrottleProps } from './constructs/http-api.ts';
import { Queues } from './constructs/queues.ts';
import { Secrets } from './constructs/secrets.ts';
import { idempotencyTable, mainTable, tables } from './data-model.ts';
import {
  type Capability,
  type FunctionDefinition,
  type QueueDefinition,
  type RouteDefinition,
  functions as topologyFunctions,
  queues as topologyQueues,
} from './topology.ts';

export interface SalesOpsStackProps extends StackProps {
  /** @default the functions of lib/topology.ts */
  readonly functions?: Readonly<Record<string, FunctionDefinition>>;
  /** @default the queues of lib/topology.ts */
  readonly queues?: readonly QueueDefinition[];
  /** @default 100 requests per second, bursts of 200 */
  readonly throttle?: ThrottleProps;
  /** @default the repository this file belongs to */
  readonly projectRoot?: string;
  /** Subscribed to the alarm topic. @default none (the `alarmEmail` context value of bin/app.ts) */
  readonly alarmEmail?: string;
}

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** Sales Ops on AWS, composed from the topology and the data model. */
export class SalesOpsStack extends Stack {
  readonly data: Data;
  readonly secrets: Secrets;
  readonly queues: Queues;
  readonly capabilities: ReadonlyMap<Capability, CapabilityFunctions>;
  readonly functions: ReadonlyMap<string, HouseFunction>;
  readonly httpApi: HttpApi;
  readonly alerting: Alerting;

  constructor(scope: Construct, id: string, props: SalesOpsStackProps = {}) {
    super(scope, id, {
      description: 'Sales Ops: serverless sales-operations backend (checkout, orders, payments)',
      ...props,
    });
    const functionDefinitions = Object.entries(props.functions ?? topologyFunctions);
    const queueDefinitions = props.queues ?? topologyQueues;

    this.data = new Data(this, 'Data', { tables });
    this.secrets = new Secrets(this, 'Secrets');
    this.queues = new Queues(this, 'Queues', {
      queues: queueDefinitions,
      consumerTimeoutSeconds: consumerTimeouts(functionDefinitions),
    });

    const queueDefinitionsByName = new Map(queueDefinitions.map((queue) => [queue.name, queue]));
    const resources = {
      mainTable: this.data.table(mainTable),
      idempotencyTable: this.data.table(idempotencyTable),
      stripeSecretKey: this.secrets.stripeSecretKey,
      stripeWebhookSecret: this.secrets.stripeWebhookSecret,
      adminToken: this.secrets.adminToken,
      emailHashKey: this.secrets.emailHashKey,
      queue: (name: string) => {
        const definition = queueDefinitionsByName.get(name);
        if (!definition) throw new Error(`Queue '${name}' is not declared in the topology`);
        return { queue: this.queues.get(name).queue, definition };
      },
    };

    const capabilities = new Map<Capability, CapabilityFunctions>();
    const functions = new Map<string, HouseFunction>();
    for (const capability of new Set(functionDefinitions.map(([, definition]) => definition.capability))) {
      const construct = new CapabilityFunctions(this, constructIdOf(capability), {
        capability,
        functions: functionDefinitions.filter(([, definition]) => definition.capability === capability),
        resources,
        projectRoot: props.projectRoot ?? repositoryRoot,
      });
      capabilities.set(capability, construct);
      for (const [name, fn] of construct.functions) functions.set(name, fn);
    }
    this.capabilities = capabilities;
    this.functions = functions;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      routes: functionDefinitions.flatMap(([functionName, definition]) =>
        (definition.routes ?? []).map((route: RouteDefinition) => ({ functionName, route })),
      ),
      functions,
      ...(props.throttle ? { throttle: props.throttle } : {}),
    });

    this.alerting = new Alerting(this, 'Alerting', {
      ...(props.alarmEmail === undefined ? {} : { email: props.alarmEmail }),
    });
    for (const name of queueDefinitions.map((queue) => queue.name)) {
      const { deadLetterAlarm, ageAlarm } = this.queues.get(name);
      this.alerting.notify(deadLetterAlarm);
      this.alerting.notify(ageAlarm);
    }
    for (const [name, fn] of functions) this.alerting.alarmOnErrors(fn, name, fn);
    this.alerting.alarmOnServerErrors(this.httpApi, this.httpApi.api);

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the Sales Ops HTTP API',
      value: this.httpApi.url,
    });
    new CfnOutput(this, 'StripeSecretKeyArn', {
      description: 'Put the Stripe secret key (sk_live_…) here after the first deploy',
      value: this.secrets.stripeSecretKey.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe here (or deploy with -c alarmEmail=…) to hear of failures',
      value: this.alerting.topic.topicArn,
    });
    new CfnOutput(this, 'StripeWebhookSecretArn', {
      description: 'Put the Stripe webhook signing secret (whsec_…) here after the first deploy',
      value: this.secrets.stripeWebhookSecret.secretArn,
    });
  }
}

/** Each queue's consumer timeout; a queue with two consumers would split its messages, so it is refused. */
function consumerTimeouts(
  functionDefinitions: ReadonlyArray<readonly [string, FunctionDefinition]>,
): Map<string, number> {
  const timeouts = new Map<string, number>();
  const consumers = new Map<string, string>();
  for (const [name, definition] of functionDefinitions) {
    if (definition.consumes === undefined) continue;
    const other = consumers.get(definition.consumes);
    if (other !== undefined) {
      throw new Error(`Queue '${definition.consumes}' is consumed by both '${other}' and '${name}'`);
    }
    consumers.set(definition.consumes, name);
    timeouts.set(definition.consumes, definition.timeoutSeconds);
  }
  return timeouts;
}

function constructIdOf(capability: Capability): string {
  return capability.charAt(0).toUpperCase() + capability.slice(1);
}
