/**
 * An order whose PaymentIntent was authorised but whose webhook has not arrived when its
 * reservation expires: the sweeper applies the authorisation through the payment state machine,
 * so the order is screened now and the late webhook changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { applyPaymentEvent } from '../../functions/domain/payments.ts';
import type {
  PaymentEventsGateway,
  PaymentGateway,
  PaymentIntentView,
} from '../../functions/domain/ports.ts';
import { expireReservations } from '../../functions/orders/expire-reservations.ts';
import type { FraudCheck } from '../../functions/payments/effects.ts';
import { fixtureStoreId, memoryOrders, placedOrder } from '../support/order-fixtures.ts';

const afterExpiry = { now: () => new Date('2026-11-28T11:00:00.000Z') };

function sweeperFixture(intentStatus: string) {
  const memory = memoryOrders(placedOrder());
  const orders = {
    ...memory.orders,
    expiredReservations: async () => {
      const stored = memory.stored();
      return stored.order.status === 'pending_payment' ? [stored] : [];
    },
    get: async () => memory.stored(),
    cancel: async () => 'conflict' as const,
  };
  const intent: PaymentIntentView = {
    id: 'pi_1',
    status: intentStatus,
    amount: 5000,
    currency: 'usd',
    metadata: { orderId: 'ord_1', storeId: fixtureStoreId },
    latestChargeId: 'ch_1',
  };
  const unused = () => Promise.reject(new Error('not expected'));
  const payments: PaymentGateway & PaymentEventsGateway = {
    createPaymentIntent: unused,
    retrievePaymentIntent: async () => intent,
    cancelPaymentIntent: unused,
    capturePaymentIntent: unused,
    refund: unused,
    listRefunds: unused,
    retrieveDispute: unused,
    retrieveCharge: unused,
  };
  const checks: FraudCheck[] = [];
  const fraudChecks = { enqueue: async (check: FraudCheck) => void checks.push(check) };
  return { memory, orders, payments, fraudChecks, checks, intent };
}

describe('reservation expiry of an order authorised meanwhile', () => {
  it('applies the authorisation through the state machine and queues screening once', async () => {
    const { memory, orders, payments, fraudChecks, checks, intent } = sweeperFixture('requires_capture');
    const failures: unknown[] = [];
    const deps = { orders, payments, fraudChecks, clock: afterExpiry };

    const first = await expireReservations(deps, (_id, error) => failures.push(error));
    const second = await expireReservations(deps, (_id, error) => failures.push(error));

    expect(failures).toEqual([]);
    expect(first).toEqual({ expired: 0, authorised: 1, failed: 0 });
    expect(second).toEqual({ expired: 0, authorised: 0, failed: 0 });
    expect(memory.current()).toMatchObject({
      status: 'processing',
      paymentStatus: 'authorized',
      fraudStatus: 'pending',
    });
    expect(checks).toEqual([{ storeId: fixtureStoreId, orderId: 'ord_1' }]);
    expect(memory.pending.size).toBe(0);
    // Screening will read Radar's outcome and the card from the charge the sweeper found.
    expect(memory.current().paymentFacts?.authorization?.chargeId).toBe('ch_1');

    // The webhook that arrives late is a duplicate for the state machine: no change, no effect.
    const late = applyPaymentEvent(
      memory.current(),
      {
        kind: 'authorized',
        at: '2026-11-28T10:01:00.000Z',
        intent: {
          id: intent.id,
          amount: intent.amount,
          currency: intent.currency,
          metadata: intent.metadata,
        },
      },
      { storeId: fixtureStoreId },
    );
    expect(late.effects).toEqual([]);
    expect(late.order.timeline.filter((entry) => entry.type === 'payment_authorized')).toHaveLength(1);
  });
});
