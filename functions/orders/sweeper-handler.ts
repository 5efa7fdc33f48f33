import type { ScheduledEvent } from 'aws-lambda';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { OrdersRepository } from '../adapters/orders-repository.ts';
import { emailHashKey, stripeSecretKey } from '../adapters/secrets.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { lazyStripeClient, stripeGateway } from '../adapters/stripe-gateway.ts';
import { systemClock } from '../adapters/system.ts';
import { sqsFraudCheckQueue } from '../fraud/check-queue.ts';
import { expireReservations } from './expire-reservations.ts';
import { retryOwedEffects } from './owed-effects.ts';
import { expireReviews } from './review-timeouts.ts';
import { flagLateShipments } from './ship-late.ts';

const tableName = mainTableName();
const orders = new OrdersRepository(documentClient, tableName);
const stores = new StoresRepository(documentClient, tableName);
const payments = stripeGateway(lazyStripeClient(stripeSecretKey));
const fraudChecks = sqsFraudCheckQueue();

export async function handler(_event: ScheduledEvent) {
  const reservations = await expireReservations(
    { orders, payments, fraudChecks, clock: systemClock },
    (orderId, error) => logger.error('could not expire a reservation', { orderId, error: String(error) }),
  );
  if (reservations.expired + reservations.authorised + reservations.failed > 0)
    logger.info('reservations swept', { ...reservations });
  const reviews = await expireReviews(
    {
      orders,
      payments,
      clock: systemClock,
      reviewTimeoutHours: async (storeId) => (await stores.get(storeId))?.settings.fraud.reviewTimeoutHours,
      onEffectRefused: (effect, orderId, error) =>
        logger.warn('effect refused by Stripe', { kind: effect.kind, orderId, code: error.providerCode }),
    },
    (orderId, error) => logger.error('could not time out a review', { orderId, error: String(error) }),
  );
  if (reviews.timedOut + reviews.deferred + reviews.failed > 0) logger.info('reviews swept', { ...reviews });
  const shipping = await flagLateShipments(
    {
      orders,
      clock: systemClock,
      shipWithinHours: async (storeId) => (await stores.get(storeId))?.settings.fulfilment.shipWithinHours,
    },
    (orderId, error) => logger.error('could not flag a late shipment', { orderId, error: String(error) }),
  );
  if (shipping.flagged + shipping.deferred + shipping.failed > 0)
    logger.info('late shipping swept', { ...shipping });
  const owedEffects = await retryOwedEffects(
    {
      orders,
      owed: orders,
      payments,
      fraudChecks,
      emailHashKey,
      clock: systemClock,
      onEffectRefused: (effect, orderId, error) =>
        logger.warn('effect refused by Stripe', { kind: effect.kind, orderId, code: error.providerCode }),
    },
    (orderId, error) => logger.error('could not perform an owed effect', { orderId, error: String(error) }),
  );
  if (owedEffects.retried + owedEffects.failed > 0) logger.info('owed effects swept', { ...owedEffects });
  // Money still owed (a capture, a cancel, a refund) that could not be moved raises the function's
  // errors alarm (lib/constructs/alerting.ts): it is retried an hour later, so it fails this way
  // once an hour until it goes through. The other sections' failures are mostly an order that
  // moved on meanwhile and are retried a minute later: logged only.
  if (owedEffects.failed > 0) {
    throw new Error(
      `${owedEffects.failed} owed payment effect(s) failed; the log lines above name the orders.`,
    );
  }
  return { reservations, reviews, shipping, owedEffects };
}
