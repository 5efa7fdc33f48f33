/**
 * `POST /v1/webhooks/stripe`. Its bundle holds the signature check and an SQS client, nothing
 * else: no Stripe SDK, no DynamoDB, no fraud code.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlEnvVar, secretEnvVars } from '../../lib/runtime-env.ts';
import { optionalEnv, requiredEnv } from '../adapters/env.ts';
import { secret } from '../adapters/secrets.ts';
import { stripeWebhookReceiver } from './receiver.ts';

const queueUrl = requiredEnv(queueUrlEnvVar('payment-events'));
const endpoint = optionalEnv('SQS_ENDPOINT');
const sqs = new SQSClient(endpoint === undefined ? {} : { endpoint });

export const handler = stripeWebhookReceiver({
  webhookSecret: () => secret('STRIPE_WEBHOOK_SECRET', secretEnvVars.stripeWebhookSecret),
  nowSeconds: () => Math.floor(Date.now() / 1000),
  enqueue: async ({ eventId, eventType, rawBody }) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: rawBody,
        MessageAttributes: {
          eventId: { DataType: 'String', StringValue: eventId },
          eventType: { DataType: 'String', StringValue: eventType },
        },
      }),
    );
  },
});
