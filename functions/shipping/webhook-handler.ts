/**
 * `POST /v1/webhooks/shipping/{storeId}`. Its bundle holds the signature check, the tracking
 * event schema, one DynamoDB read and an SQS client: no order schemas, no Stripe.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { optionalEnv, requiredEnv } from '../adapters/env.ts';
import { shippingWebhookSecretsReader } from '../adapters/shipping-webhook-secrets-reader.ts';
import { shippingEventsQueueName } from './event-message.ts';
import { sqsShippingEventsQueue } from './events-queue.ts';
import { shippingWebhookReceiver } from './receiver.ts';

const queueUrl = requiredEnv(queueUrlEnvVar(shippingEventsQueueName));
const endpoint = optionalEnv('SQS_ENDPOINT');
const queue = sqsShippingEventsQueue(new SQSClient(endpoint === undefined ? {} : { endpoint }), queueUrl);

export const handler = shippingWebhookReceiver({
  secretsOf: shippingWebhookSecretsReader(documentClient, mainTableName()),
  enqueue: (messages) => queue.enqueue(messages),
  now: () => new Date(),
});
