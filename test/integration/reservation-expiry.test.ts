/**
 * The sweeper's reservation expiry on the running stack's DynamoDB Local and Stripe simulator,
 * with the clock moved past the reservation (stores here hold stock for 1 minute; every other
 * test keeps the default 30, so their orders are not due).
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { OrdersRepository } from '../../functions/adapters/orders-repository.ts';
import type { PaymentEventsGateway, PaymentGateway } from '../../functions/domain/ports.ts';
import type { expireReservations as ExpireReservations } from '../../functions/orders/expire-reservations.ts';
import type { FraudCheckQueue } from '../../functions/payments/effects.ts';
import { checkoutBody, createStore, putProduct } from '../support/api.ts';
import { simulatorStripe } from '../support/stripe.ts';

let orders: OrdersRepository;
let payments: PaymentGateway & PaymentEventsGateway;
let fraudChecks: FraudCheckQueue;
let expireReservations: typeof ExpireReservations;
const later = { now: () => new Date(Date.now() + 90_000) };

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  const { OrdersRepository } = await import('../../functions/adapters/orders-repository.ts');
  const { lazyStripeClient, stripeGateway } = await import('../../functions/adapters/stripe-gateway.ts');
  ({ expireReservations } = await import('../../functions/orders/expire-reservations.ts'));
  const { sqsFraudCheckQueue } = await import('../../functions/fraud/check-queue.ts');
  fraudChecks = sqsFraudCheckQueue();
  orders = new OrdersRepository(documentClient, mainTableName());
  payments = stripeGateway(lazyStripeClient(async () => 'sk_test_sweeper'));
});

describe('reservation expiry', () => {
  it('cancels unpaid orders once, releasing stock and coupon, and keeps authorised ones', async () => {
    const store = await createStore({ settings: { reservationMinutes: 1 } });
    await putProduct(store, 'A', { unitAmount: 1000, stock: 10 });
    await store.call('PUT', '/v1/coupons/TEN', { body: { percentOff: 10 } });
    const unpaid = await store.call<{ id: string; payment: { paymentIntentId: string } }>(
      'POST',
      '/v1/checkouts',
      {
        body: checkoutBody([{ sku: 'A', quantity: 3 }], { couponCode: 'TEN' }),
      },
    );
    const paid = await store.call<{ id: string; payment: { paymentIntentId: string } }>(
      'POST',
      '/v1/checkouts',
      {
        body: checkoutBody([{ sku: 'A', quantity: 2 }]),
      },
    );
    await simulatorStripe().paymentIntents.confirm(paid.body.payment.paymentIntentId, {
      payment_method: 'pm_card_visa',
    });
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(5);

    const failures: unknown[] = [];
    const sweep = () =>
      expireReservations({ orders, payments, fraudChecks, clock: later }, (_id, error) =>
        failures.push(error),
      );
    const reports = await Promise.all([sweep(), sweep()]);
    await sweep();
    expect(
      failures.filter(
        (error) => !String(error).includes('invalid_state') && !String(error).includes('InvalidState'),
      ),
    ).toEqual([]);

    const expired = await store.call('GET', `/v1/orders/${unpaid.body.id}`);
    expect(expired.body).toMatchObject({
      status: 'cancelled',
      cancelReason: 'payment_expired',
      paymentStatus: 'cancelled',
    });
    const authorised = await store.call('GET', `/v1/orders/${paid.body.id}`);
    // Kept: still waiting for fraud screening, or already screened and captured.
    expect(['processing', 'paid']).toContain(authorised.body.status);
    expect(['authorized', 'captured']).toContain(authorised.body.paymentStatus);
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(8);
    expect((await store.call('GET', '/v1/coupons/TEN')).body.redemptions).toBe(0);
    // The sweep cancelled the PaymentIntent as abandoned. Which write then cancelled the order, the
    // sweep's or the `payment_intent.canceled` webhook's, is a race with one outcome: expired once.
    const intent = await simulatorStripe().paymentIntents.retrieve(unpaid.body.payment.paymentIntentId);
    expect(intent).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(reports.every((report) => report.expired <= 1)).toBe(true);
  });
});
