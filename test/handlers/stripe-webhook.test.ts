/**
 * The receiver's accept path costs exactly one SQS send and no DynamoDB call; a bad signature
 * costs neither. SDK clients are mocked, the signature is real (made by the Stripe SDK).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { beforeEach, describe, expect, it } from 'vitest';
import { queueUrlEnvVar, secretEnvVars } from '../../lib/runtime-env.ts';
import { testContext } from '../support/events.ts';
import { webhookDelivery, webhookHandlerUnderTest } from '../support/webhook-handlers.ts';

const secret = 'whsec_handler_test';
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/000000000000/payment-events';
const { sqs, dynamodb, handler } = webhookHandlerUnderTest(
  () => import('../../functions/payments/webhook-handler.ts'),
  {
    [queueUrlEnvVar('payment-events')]: queueUrl,
    STRIPE_WEBHOOK_SECRET: secret,
    [secretEnvVars.stripeWebhookSecret]: '',
  },
);

beforeEach(() => {
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

const delivery = (signature: string | undefined, body = payload) =>
  webhookDelivery({ routeKey: 'POST /v1/webhooks/stripe', path: '/v1/webhooks/stripe' }, body, {
    'stripe-signature': signature,
  });

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
