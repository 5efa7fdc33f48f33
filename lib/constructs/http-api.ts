import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi as ApiGatewayHttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDefinition, HttpMethod as TopologyMethod } from '../topology.ts';

export interface ThrottleProps {
  /** Steady requests per second across the API. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the steady rate. */
  readonly burstLimit: number;
}

export interface HttpApiProps {
  /** Every route with the topology name of the function that serves it. */
  readonly routes: ReadonlyArray<{ readonly functionName: string; readonly route: RouteDefinition }>;
  /** The function of each topology name that serves routes. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** @default 100 requests per second, bursts of 200 */
  readonly throttle?: ThrottleProps;
}

const methods: Record<TopologyMethod, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

/** Fields of each access-log line; no headers, so no bearer token or API key is ever logged. */
const accessLogFields = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/** Why a route has no API Gateway authorizer, for cdk-nag's APIG4. */
function authorizationReason(route: RouteDefinition): string {
  switch (route.auth) {
    case 'store':
      return 'Store routes authenticate inside the function: the bearer store API key is hashed and looked up in DynamoDB (keys are stored only as hashes); an API Gateway authorizer would add a second invocation per request for the same check.';
    case 'admin':
      return 'Admin routes authenticate inside the function: the bearer token is compared in constant time with the admin token in Secrets Manager.';
    case 'none':
      return route.key.includes('/webhooks/')
        ? 'Webhook route: the sender (Stripe, carrier) cannot send our credentials; the function verifies the HMAC signature of the raw body instead.'
        : 'Deliberately public: health check and OpenAPI document, which expose no store data.';
  }
}

/**
 * The public HTTP API (API Gateway HTTP API): one Lambda integration per function, one route per
 * topology route key, JSON access logs and stage-wide throttling.
 */
export class HttpApi extends Construct {
  readonly api: ApiGatewayHttpApi;
  readonly stage: HttpStage;
  /** The API's base URL, ending in `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 100, burstLimit: 200 };

    // The stage is created explicitly because the default stage cannot be given access logs.
    this.api = new ApiGatewayHttpApi(this, 'Api', {
      description: 'Sales Ops public HTTP API',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });
    this.url = this.stage.url;

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const { functionName, route } of props.routes) {
      const handler = props.functions.get(functionName);
      if (!handler)
        throw new Error(`Route '${route.key}' names function '${functionName}', which has no Lambda`);
      let integration = integrations.get(functionName);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${functionName}Integration`, handler);
        integrations.set(functionName, integration);
      }
      const [method, path] = splitRouteKey(route);
      const httpRoute = new HttpRoute(this, `Route ${route.key.replaceAll('/', ' ')}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(path, methods[method]),
        integration,
      });
      Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: authorizationReason(route) });
    }
  }
}

function splitRouteKey(route: RouteDefinition): [TopologyMethod, string] {
  const separator = route.key.indexOf(' ');
  const method = route.key.slice(0, separator);
  const path = route.key.slice(separator + 1);
  if (!isTopologyMethod(method)) throw new Error(`Route '${route.key}' has an unknown method`);
  return [method, path];
}

function isTopologyMethod(method: string): method is TopologyMethod {
  return Object.hasOwn(methods, method);
}
