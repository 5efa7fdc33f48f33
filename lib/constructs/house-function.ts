import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  CfnFunction,
  LoggingFormat,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { lambdaBundling, sideLoadedBy } from '../bundling.ts';
import { type TableDefinition, tableEnvVar } from '../data-model.ts';
import type { FunctionDefinition, SideLoadedPackage } from '../topology.ts';
import { topologyMetadata } from './metadata.ts';

export interface HouseFunctionProps {
  /** The function's name in the topology (`checkout`, `sweeper`, …). */
  readonly functionName: string;
  readonly definition: FunctionDefinition;
  /** The repository root: entries are relative to it and it holds package-lock.json. */
  readonly projectRoot: string;
}

/**
 * Item and query access; transactions need no action of their own, only these per item. No
 * `Scan`: every access pattern is a key or index lookup, and IAM makes sure it stays so.
 */
const tableReadActions = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
] as const;
const tableWriteActions = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/** The esbuild options of lib/bundling.ts, in NodejsFunction's vocabulary. */
const houseBundling = {
  format: OutputFormat.ESM,
  target: lambdaBundling.target,
  mainFields: [...lambdaBundling.mainFields],
  minify: lambdaBundling.minify,
  sourceMap: lambdaBundling.sourcemap,
  sourcesContent: lambdaBundling.sourcesContent,
  banner: lambdaBundling.banner,
  externalModules: [...lambdaBundling.external],
  esbuildArgs: Object.fromEntries(
    Object.entries(lambdaBundling.alias).map(([name, path]) => [`--alias:${name}`, path]),
  ),
  bundleAwsSDK: true,
};

function readsSecrets(definition: FunctionDefinition): boolean {
  const { access } = definition;
  return (
    access.stripe === true ||
    access.adminToken === true ||
    access.stripeWebhook === true ||
    access.emailHashKey === true
  );
}

/**
 * Ships the side-loaded packages (lib/bundling.ts) prebundled beside the function's bundle, where
 * its `import()` finds them on first use.
 */
function withSideBundles(
  bundling: typeof houseBundling,
  projectRoot: string,
  packages: readonly SideLoadedPackage[],
) {
  const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
  const script = join(projectRoot, 'bin', 'bundle-side.ts');
  return {
    ...bundling,
    commandHooks: {
      beforeBundling: (): string[] => [],
      beforeInstall: (): string[] => [],
      afterBundling: (_inputDir: string, outputDir: string): string[] => [
        `"${tsx}" "${script}" "${outputDir}" ${packages.join(' ')}`,
      ],
    },
  };
}

/**
 * A Lambda function with the house defaults: Node.js 24 on arm64, the shared esbuild bundle,
 * X-Ray tracing, JSON logs into its own log group kept one month, and a role that starts with
 * nothing but writing to that log group. Access is added with the `use*` helpers, which grant
 * and set the env var that names the resource in one call, so the two cannot drift apart.
 */
export class HouseFunction extends NodejsFunction {
  /** The function's name in the topology. */
  readonly topologyName: string;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    const { definition } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
    // An own role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log
    // group in the account.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    super(scope, id, {
      entry: join(props.projectRoot, definition.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb,
      timeout: Duration.seconds(definition.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      bundling: withSideBundles(houseBundling, props.projectRoot, sideLoadedBy(definition.sideLoaded)),
      // Secrets are read through AWS's Parameters and Secrets extension (a local, caching HTTP
      // endpoint) rather than a Secrets Manager client in every bundle.
      ...(readsSecrets(definition)
        ? {
            paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
              logLevel: ParamsAndSecretsLogLevel.WARN,
            }),
          }
        : {}),
      // No `NODE_OPTIONS=--enable-source-maps`: Node then reads and parses the bundle's source map
      // at every cold start, about 20 ms on the checkout's 700 KB map (a quarter of its import).
      // The map still ships in the asset, so a logged stack's positions can be mapped offline.
      environment: {
        POWERTOOLS_SERVICE_NAME: 'sales-ops',
      },
    });
    this.topologyName = props.functionName;

    const cfnFunction = this.node.defaultChild;
    if (cfnFunction instanceof CfnFunction) {
      cfnFunction.addMetadata(topologyMetadata.function, props.functionName);
    }
    // Tracing adds xray:PutTraceSegments/PutTelemetryRecords on `*` to the role's policy.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; `*` is the only valid resource (added by tracing: ACTIVE).',
    });
  }

  /**
   * Grants read or read/write on a table and on each of its indexes, by name rather than
   * `index/*`, and sets the table's env var (`tableEnvVar()`) to its name.
   */
  useTable(table: ITable, definition: TableDefinition, mode: 'read' | 'readWrite'): this {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: mode === 'read' ? [...tableReadActions] : [...tableReadActions, ...tableWriteActions],
        resources: [
          table.tableArn,
          ...definition.globalIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
        ],
      }),
    );
    this.addEnvironment(tableEnvVar(definition), table.tableName);
    return this;
  }

  /** Grants reading a secret's value and sets `envVar` to its ARN. */
  useSecret(secret: ISecret, envVar: string): this {
    secret.grantRead(this);
    this.addEnvironment(envVar, secret.secretArn);
    return this;
  }

  /** Grants sending to a queue and sets `envVar` to its URL. */
  sendsTo(queue: IQueue, envVar: string): this {
    queue.grantSendMessages(this);
    this.addEnvironment(envVar, queue.queueUrl);
    return this;
  }

  /** Polls a queue (granting consume) and reports failures per record, so a batch is not retried whole. */
  consumes(queue: IQueue, batchSize: number): this {
    this.addEventSource(
      new SqsEventSource(queue, {
        batchSize,
        reportBatchItemFailures: true,
        // SQS requires a batching window for batches above 10 messages.
        ...(batchSize > 10 ? { maxBatchingWindow: Duration.seconds(1) } : {}),
      }),
    );
    return this;
  }
}
