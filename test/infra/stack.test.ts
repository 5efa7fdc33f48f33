import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { operatorPlaceholder } from '../../lib/constructs/secrets.ts';
import { idempotencyTable, mainTable, tableEnvVar, tables } from '../../lib/data-model.ts';
import { secretEnvVars } from '../../lib/runtime-env.ts';
import { allRoutes, allSchedules, functionDefinition, functionNames } from '../../lib/topology.ts';
import { actionsOn, logicalIdOf, permissionsOf } from './policies.ts';
import { functionLogicalId, type Synthesized, synthesize } from './synth.ts';
import { synthesizedTopology } from './synthesized-topology.ts';

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
});

const tableReadActions = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
];
const tableReadWriteActions = [
  ...tableReadActions,
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
].sort();

describe('tables', () => {
  it('creates exactly the tables of the data model', () => {
    synthesized.template.resourceCountIs('AWS::DynamoDB::Table', tables.length);
  });

  it.each(tables.map((table) => [table.name, table] as const))(
    '%s: keys, indexes, on-demand, PITR, SSE, TTL, deletion protection',
    (_name, table) => {
      const logicalId = logicalIdOf(synthesized.stack, synthesized.stack.data.table(table));
      const keySchema = [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' }] : []),
      ];
      const indexes = table.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' }] : []),
        ],
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(synthesized.template.toJSON().Resources[logicalId]).toMatchObject({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          KeySchema: keySchema,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
          DeletionProtectionEnabled: true,
        },
      });
      const gsis = synthesized.template.toJSON().Resources[logicalId].Properties.GlobalSecondaryIndexes;
      expect(gsis ?? []).toEqual(indexes);
    },
  );
});

describe('functions', () => {
  it('deploys one Lambda per topology function', () => {
    synthesized.template.resourceCountIs('AWS::Lambda::Function', functionNames.length);
  });

  it.each(functionNames)('%s runs nodejs24.x on arm64 with the house defaults', (name) => {
    const definition = functionDefinition(name);
    const logicalId = functionLogicalId(synthesized.template, name);
    expect(synthesized.template.toJSON().Resources[logicalId].Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: definition.memoryMb,
      Timeout: definition.timeoutSeconds,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'sales-ops' } },
    });
    // Not NODE_OPTIONS=--enable-source-maps: parsing the source map would be paid at every cold start.
    expect(
      synthesized.template.toJSON().Resources[logicalId].Properties.Environment.Variables,
    ).not.toHaveProperty('NODE_OPTIONS');
  });

  it('keeps every log group one month', () => {
    const groups = Object.values(synthesized.template.findResources('AWS::Logs::LogGroup'));
    // One per function plus the API's access logs.
    expect(groups).toHaveLength(functionNames.length + 1);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('gives no function the AWS managed basic execution role', () => {
    for (const role of Object.values(synthesized.template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('HTTP API', () => {
  it('has exactly the topology routes', () => {
    expect(synthesizedTopology(synthesized.template).routes).toEqual(
      allRoutes()
        .map(({ route }) => route.key)
        .sort(),
    );
  });

  it.each(allRoutes().map(({ functionName, route }) => [route.key, functionName] as const))(
    '%s is served by %s',
    (routeKey, functionName) => {
      const { template } = synthesized;
      const routes = Object.values(
        template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
      );
      expect(routes).toHaveLength(1);
      const target = routes[0]?.Properties.Target;
      // Target is `integrations/<Ref integration>`.
      const integrationLogicalId = target['Fn::Join'][1][1].Ref;
      expect(template.toJSON().Resources[integrationLogicalId].Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionLogicalId(template, functionName), 'Arn'] },
      });
    },
  );

  it('shares one integration per function', () => {
    const servingFunctions = new Set(allRoutes().map(({ functionName }) => functionName));
    synthesized.template.resourceCountIs('AWS::ApiGatewayV2::Integration', servingFunctions.size);
  });

  it('serves the $default stage with JSON access logs and throttling', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('outputs the API URL', () => {
    synthesized.template.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: Match.anyValue() }])] },
    });
  });
});

describe('schedules', () => {
  it('invokes exactly the topology schedules', () => {
    expect(synthesizedTopology(synthesized.template).schedules).toEqual(
      allSchedules()
        .map(({ functionName, schedule }) => ({ functionName, everyMinutes: schedule.everyMinutes }))
        .sort((a, b) => a.functionName.localeCompare(b.functionName) || a.everyMinutes - b.everyMinutes),
    );
  });

  it.each(allSchedules().map(({ functionName, schedule }) => [functionName, schedule.everyMinutes] as const))(
    '%s every %i min may be invoked by EventBridge',
    (functionName, everyMinutes) => {
      const logicalId = functionLogicalId(synthesized.template, functionName);
      synthesized.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: everyMinutes === 1 ? 'rate(1 minute)' : `rate(${everyMinutes} minutes)`,
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId, 'Arn'] } })],
      });
      synthesized.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      });
    },
  );
});

describe('secrets', () => {
  it('generates the admin token and the email hash key, and leaves placeholders for the Stripe secrets', () => {
    const { stack, template } = synthesized;
    const resources = template.toJSON().Resources;
    expect(resources[logicalIdOf(stack, stack.secrets.adminToken)].Properties).toMatchObject({
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    expect(resources[logicalIdOf(stack, stack.secrets.emailHashKey)].Properties).toMatchObject({
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    for (const secret of [stack.secrets.stripeSecretKey, stack.secrets.stripeWebhookSecret]) {
      expect(resources[logicalIdOf(stack, secret)].Properties.SecretString).toBe(operatorPlaceholder);
    }
    template.hasOutput('StripeSecretKeyArn', {
      Value: { Ref: logicalIdOf(stack, stack.secrets.stripeSecretKey) },
    });
  });

  it.each(functionNames)(
    '%s has the Parameters and Secrets extension exactly when it reads a secret',
    (name) => {
      const { access } = functionDefinition(name);
      const readsSecret =
        access.stripe === true ||
        access.adminToken === true ||
        access.stripeWebhook === true ||
        access.emailHashKey === true;
      const properties =
        synthesized.template.toJSON().Resources[functionLogicalId(synthesized.template, name)].Properties;
      expect(/paramsandsecrets/i.test(JSON.stringify(properties.Layers ?? []))).toBe(readsSecret);
    },
  );
});

describe('least-privilege grants from topology access', () => {
  const logicalIds = () => {
    const { stack } = synthesized;
    return {
      main: logicalIdOf(stack, stack.data.table(mainTable)),
      idempotency: logicalIdOf(stack, stack.data.table(idempotencyTable)),
      stripe: logicalIdOf(stack, stack.secrets.stripeSecretKey),
      webhook: logicalIdOf(stack, stack.secrets.stripeWebhookSecret),
      admin: logicalIdOf(stack, stack.secrets.adminToken),
      emailHash: logicalIdOf(stack, stack.secrets.emailHashKey),
    };
  };
  const environmentOf = (name: string): Record<string, unknown> =>
    synthesized.template.toJSON().Resources[functionLogicalId(synthesized.template, name)].Properties
      .Environment.Variables;

  it('gives the docs function no data and no secret', () => {
    const permissions = permissionsOf(synthesized.template, 'docs');
    expect(permissions.filter(({ action }) => /^(dynamodb|secretsmanager|sqs):/.test(action))).toEqual([]);
    expect(Object.keys(environmentOf('docs')).sort()).toEqual(['POWERTOOLS_SERVICE_NAME']);
  });

  it('lets checkout read the Stripe secret key but not the admin token', () => {
    const permissions = permissionsOf(synthesized.template, 'checkout');
    const ids = logicalIds();
    expect(actionsOn(permissions, ids.stripe)).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(actionsOn(permissions, ids.admin)).toEqual([]);
    expect(environmentOf('checkout')[secretEnvVars.stripeSecretKey]).toEqual({ Ref: ids.stripe });
  });

  it('lets admin read the admin token but not the Stripe secret key', () => {
    const permissions = permissionsOf(synthesized.template, 'admin');
    const ids = logicalIds();
    expect(actionsOn(permissions, ids.admin)).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(actionsOn(permissions, ids.stripe)).toEqual([]);
  });

  it.each(functionNames)('%s gets exactly what its access declares', (name) => {
    const { access } = functionDefinition(name);
    const permissions = permissionsOf(synthesized.template, name);
    const environment = environmentOf(name);
    const ids = logicalIds();

    const expectedMain =
      access.table === 'readWrite' ? tableReadWriteActions : access.table === 'read' ? tableReadActions : [];
    expect(actionsOn(permissions, ids.main)).toEqual(expectedMain);
    expect(actionsOn(permissions, ids.idempotency)).toEqual(
      access.idempotencyTable ? tableReadWriteActions : [],
    );
    expect(actionsOn(permissions, ids.stripe).length > 0).toBe(access.stripe === true);
    expect(actionsOn(permissions, ids.admin).length > 0).toBe(access.adminToken === true);
    expect(actionsOn(permissions, ids.emailHash)).toEqual(
      access.emailHashKey === true ? ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] : [],
    );
    expect(actionsOn(permissions, ids.webhook)).toEqual(
      access.stripeWebhook === true ? ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] : [],
    );

    expect(tableEnvVar(mainTable) in environment).toBe(access.table !== undefined);
    expect(tableEnvVar(idempotencyTable) in environment).toBe(access.idempotencyTable === true);
    expect(secretEnvVars.stripeSecretKey in environment).toBe(access.stripe === true);
    expect(secretEnvVars.adminToken in environment).toBe(access.adminToken === true);
    expect(secretEnvVars.stripeWebhookSecret in environment).toBe(access.stripeWebhook === true);
    expect(secretEnvVars.emailHashKey in environment).toBe(access.emailHashKey === true);
  });

  it('names each index instead of granting index/*', () => {
    const main = logicalIdOf(synthesized.stack, synthesized.stack.data.table(mainTable));
    for (const name of functionNames) {
      const resources = permissionsOf(synthesized.template, name).map(({ resource }) => resource);
      expect(resources.filter((resource) => resource.includes('index/*'))).toEqual([]);
      if (functionDefinition(name).access.table) {
        for (const index of mainTable.globalIndexes) {
          expect(
            resources.some((r) => r.includes(`"${main}"`) && r.includes(`/index/${index.indexName}"`)),
          ).toBe(true);
        }
      }
    }
  });
});
