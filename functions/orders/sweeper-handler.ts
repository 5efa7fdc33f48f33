import type { ScheduledEvent } from 'aws-lambda';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { OrdersRepository } from '../adapters/orders-repository.ts';
import { stripeSecretKey } from '../adapters/secrets.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { systemClock } from '../adapters/system.ts';
import { expireReservations } from './expire-reservations.ts';

const orders = new OrdersRepository(documentClient, mainTableName());
const payments = stripeGateway(lazyStripeClient(stripeSecretKey));

export async function handler(_event: ScheduledEvent) {
  const report = await expireReservations({ orders, payments, clock: systemClock }, (orderId, error) =>
    logger.error('could not expire a reservation', { orderId, error: String(error) }),
  );
  if (report.expired + report.authorised + report.failed > 0)
    logger.info('reservations swept', { ...report });
  return report;
}
