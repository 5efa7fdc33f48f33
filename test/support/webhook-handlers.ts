/**
 * A webhook receiver's Lambda handler under unit test (test/handlers/*): its module imported once
 * the environment is stubbed, its SQS and DynamoDB clients mocked so that every call it makes can
 * be counted, and deliveries as API Gateway hands them over, the body exactly as the sender signed it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { httpEvent } from './events.ts';

export type WebhookHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Registers the file's hooks: before all, stubs `env` (with no SQS endpoint override, in
 * us-east-1) and imports the handler through `load`; before each test, resets the mocks (a test's
 * own `beforeEach`, registered later, runs after and can set their answers); after all, restores
 * the clients and the environment. Call at the top of the file.
 */
export function webhookHandlerUnderTest(
  load: () => Promise<{ handler: WebhookHandler }>,
  env: Readonly<Record<string, string>>,
) {
  const sqs = mockClient(SQSClient);
  const dynamodb = mockClient(DynamoDBClient);
  let loaded: WebhookHandler | undefined;
  beforeAll(async () => {
    for (const [name, value] of Object.entries({ SQS_ENDPOINT: '', AWS_REGION: 'us-east-1', ...env })) {
      vi.stubEnv(name, value);
    }
    loaded = (await load()).handler;
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    sqs.restore();
    dynamodb.restore();
  });
  beforeEach(() => {
    sqs.reset();
    dynamodb.reset();
  });
  const handler: WebhookHandler = (event, context) => {
    if (loaded === undefined) throw new Error('the handler is imported in beforeAll');
    return loaded(event, context);
  };
  return { sqs, dynamodb, handler };
}

/** A delivery of `body` to the route, with each of `headers` that has a value. */
export function webhookDelivery(
  route: { routeKey: string; path: string; pathParameters?: Record<string, string> },
  body: string,
  headers: Readonly<Record<string, string | undefined>>,
): APIGatewayProxyEventV2 {
  const present = Object.entries(headers).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return { ...httpEvent({ ...route, headers: Object.fromEntries(present) }), body };
}
