/**
 * The receiver's accept path costs exactly one SQS send and no DynamoDB call; a bad signature
 * costs neither. SDK clients are mocked, the signature is real (made by the Stripe SDK).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { queueUrlEnvVar, secretEnvVars } from '../../lib/runtime-env.ts';
import { httpEvent, testContext } from '../support/events.ts';

const secret = 'whsec_handler_test';
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/000000000000/payment-events';
const sqs = mockClient(SQSClient);
const dynamodb = mockClient(DynamoDBClient);

type Handler = (
  event: ReturnType<typeof httpEvent>,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: Handler;

beforeAll(async () => {
  vi.stubEnv(queueUrlEnvVar('payment-events'), queueUrl);
  vi.stubEnv('STRIPE_WEBHOOK_SECRET', secret);
  vi.stubEnv(secretEnvVars.stripeWebhookSecret, '');
  vi.stubEnv('SQS_ENDPOINT', '');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  ({ handler } = (await import('../../functions/payments/webhook-handler.ts')) as unknown as {
    handler: Handler;
  });
});

afterAll(() => {
  vi.unstubAllEnvs();
  sqs.restore();
  dynamodb.restore();
});

beforeEach(() => {
  sqs.reset();
  dynamodb.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

const event = {
  id: 'evt_handler_1',
  object: 'event',
  type: 'payment_intent.succeeded',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  data: { object: { id: 'pi_1', object: 'payment_intent' } },
};
const payload = JSON.stringify(event, null, 2);

function delivery(signature: string | undefined, body = payload) {
  const request = httpEvent({
    routeKey: 'POST /v1/webhooks/stripe',
    path: '/v1/webhooks/stripe',
    ...(signature === undefined ? {} : { headers: { 'stripe-signature': signature } }),
  });
  return { ...request, body };
}

describe('the Stripe webhook handler', () => {
  it('queues a verified delivery with one SendMessage and no DynamoDB call, then answers 200', async () => {
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const response = await handler(delivery(signature), testContext('stripeWebhook'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({ received: true });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(sqs.calls()).toHaveLength(1);
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      QueueUrl: queueUrl,
      MessageBody: payload,
      MessageAttributes: {
        eventId: { DataType: 'String', StringValue: 'evt_handler_1' },
        eventType: { DataType: 'String', StringValue: 'payment_intent.succeeded' },
      },
    });
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('queues the same delivery again: deduplication is the consumer’s', async () => {
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    for (let index = 0; index < 3; index++) {
      expect((await handler(delivery(signature), testContext('stripeWebhook'))).statusCode).toBe(200);
    }
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(3);
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it.each([
    ['unsigned', undefined, payload],
    ['wrong secret', Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' }), payload],
    [
      'stale',
      Stripe.webhooks.generateTestHeaderString({
        payload,
        secret,
        timestamp: Math.floor(Date.now() / 1000) - 301,
      }),
      payload,
    ],
    [
      'tampered',
      Stripe.webhooks.generateTestHeaderString({ payload, secret }),
      payload.replace('pi_1', 'pi_2'),
    ],
  ])(
    'answers 400 invalid_signature to a %s delivery, with no SQS or DynamoDB call',
    async (_name, signature, body) => {
      const response = await handler(delivery(signature, body), testContext('stripeWebhook'));
      expect(response.statusCode).toBe(400);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'invalid_signature', status: 400 });
      expect(sqs.calls()).toHaveLength(0);
      expect(dynamodb.calls()).toHaveLength(0);
    },
  );

  it('answers 500 when the event could not be queued, so that Stripe retries it', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('queue unavailable'));
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const response = await handler(delivery(signature), testContext('stripeWebhook'));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'internal' });
  });
});
