/**
 * The payment events consumer: each SQS record is one verified Stripe delivery. Records fail and
 * retry one by one (partial batch responses); after `maxReceiveCount` one goes to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { optionalEnv } from '../adapters/env.ts';
import { logger } from '../adapters/logger.ts';
import { OrdersRepository } from '../adapters/orders-repository.ts';
import { emailHashKey, stripeSecretKey } from '../adapters/secrets.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { sqsFraudCheckQueue } from '../fraud/check-queue.ts';
import { processStripeEvent } from './process-event.ts';

const orders = new OrdersRepository(documentClient, mainTableName());
const payments = stripeGateway(lazyStripeClient(stripeSecretKey));
const fraudChecks = sqsFraudCheckQueue();
const processor = new BatchProcessor(EventType.SQS);

/** `STRIPE_LIVEMODE` when set; otherwise the mode of the deployment's Stripe key. */
async function livemode(): Promise<boolean> {
  const configured = optionalEnv('STRIPE_LIVEMODE');
  if (configured !== undefined) return configured === 'true';
  return /^[rs]k_live_/.test(await stripeSecretKey());
}

async function processRecord(record: SQSRecord): Promise<void> {
  const eventId = record.messageAttributes.eventId?.stringValue;
  const outcome = await processStripeEvent(
    {
      orders,
      payments,
      fraudChecks,
      emailHashKey,
      livemode,
      onEffectRefused: (effect, orderId, error) =>
        logger.warn('Stripe refused a payment effect; dropped', {
          orderId,
          effect: effect.kind,
          providerCode: error.providerCode,
        }),
    },
    JSON.parse(record.body),
  );
  logger.debug('payment event processed', { eventId, outcome });
}

export async function handler(event: SQSEvent, context: Context) {
  return processPartialResponse(event, processRecord, processor, { context });
}
