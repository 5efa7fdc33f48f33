/**
 * The fraud screening consumer: each SQS record asks to screen one authorised order
 * (`{ storeId, orderId }`). Records fail and retry one by one (partial batch responses); after
 * `maxReceiveCount` one goes to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { OrdersRepository } from '../adapters/orders-repository.ts';
import { emailHashKey, stripeSecretKey } from '../adapters/secrets.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { disposableDomains } from './disposable-domains.ts';
import { type ScreeningDependencies, screenOrder } from './screen-order.ts';
import { FraudSignalsRepository } from './signals-repository.ts';

const FraudCheckMessage = z.object({ storeId: z.string(), orderId: z.string() });

const tableName = mainTableName();
const deps: ScreeningDependencies = {
  orders: new OrdersRepository(documentClient, tableName),
  stores: new StoresRepository(documentClient, tableName),
  signals: new FraudSignalsRepository(documentClient, tableName),
  payments: stripeGateway(lazyStripeClient(stripeSecretKey)),
  disposableDomains,
  clock: () => new Date(),
  emailHashKey,
  onEffectRefused: (effect, orderId, error) =>
    logger.warn('Stripe refused a payment effect; dropped', {
      orderId,
      effect: effect.kind,
      providerCode: error.providerCode,
    }),
};
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  const check = FraudCheckMessage.parse(JSON.parse(record.body));
  const screened = await screenOrder(deps, check);
  logger.info('fraud check processed', {
    orderId: check.orderId,
    outcome: screened.outcome,
    ...(screened.outcome === 'decided'
      ? { decision: screened.result.decision, score: screened.result.score }
      : {}),
  });
}

export async function handler(event: SQSEvent, context: Context) {
  return processPartialResponse(event, processRecord, processor, { context });
}
