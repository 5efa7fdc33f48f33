/**
 * The consumer's exactly-once effects with in-memory ports: an effect committed with the order's
 * write survives a crash before it is performed, and a redelivery performs it once, with the same
 * Stripe idempotency key.
 */
import { describe, expect, it } from 'vitest';
import type { Order } from '../../functions/domain/order.ts';
import { applyPaymentEvent } from '../../functions/domain/payments.ts';
import {
  type PaymentEventsGateway,
  type PaymentGateway,
  PaymentProviderUnavailable,
} from '../../functions/domain/ports.ts';
import { processStripeEvent } from '../../functions/payments/process-event.ts';
import { memoryOrders, placedOrder } from '../support/order-fixtures.ts';

const storeId = 'str_1';

function capturedOrder(): Order {
  let order = placedOrder();
  const intent = { id: 'pi_1', amount: 5000, currency: 'usd', metadata: { orderId: 'ord_1', storeId } };
  order = applyPaymentEvent(
    order,
    { kind: 'authorized', at: '2026-11-28T10:01:00.000Z', intent, chargeId: 'ch_1' },
    { storeId },
  ).order;
  return applyPaymentEvent(
    order,
    { kind: 'captured', at: '2026-11-28T10:02:00.000Z', amount: 5000 },
    { storeId },
  ).order;
}

function recordingGateway(failures: number) {
  const refunds: { idempotencyKey: string; amount: number }[] = [];
  let remainingFailures = failures;
  const unused = () => Promise.reject(new Error('not expected'));
  const gateway: PaymentGateway & PaymentEventsGateway = {
    createPaymentIntent: unused,
    retrievePaymentIntent: unused,
    cancelPaymentIntent: unused,
    capturePaymentIntent: unused,
    listRefunds: async () => [],
    retrieveDispute: unused,
    retrieveCharge: unused,
    refund: async (input) => {
      if (remainingFailures-- > 0) throw new PaymentProviderUnavailable('Stripe timed out');
      refunds.push({ idempotencyKey: input.idempotencyKey, amount: input.amount });
      return { id: 're_1', amount: input.amount, status: 'succeeded', created: '2026-11-28T10:05:00.000Z' };
    },
  };
  return { gateway, refunds };
}

const warning = (livemode = false, paymentIntent = 'pi_1') => ({
  id: 'evt_efw_1',
  type: 'radar.early_fraud_warning.created',
  created: 1_795_860_000,
  livemode,
  data: {
    object: {
      id: 'issfr_1',
      object: 'radar.early_fraud_warning',
      actionable: true,
      created: 1_795_860_000,
      charge: 'ch_1',
      payment_intent: paymentIntent,
    },
  },
});

describe('processStripeEvent', () => {
  it('performs an effect committed before a crash on the redelivery, once, with the same key', async () => {
    const { orders, pending, current } = memoryOrders(capturedOrder());
    const { gateway, refunds } = recordingGateway(1);
    const deps = { orders, payments: gateway, livemode: async () => false };

    await expect(processStripeEvent(deps, warning())).rejects.toThrow(PaymentProviderUnavailable);
    expect([...pending.keys()]).toEqual(['refund_in_full:early_fraud_warning']);
    expect(current().timeline.filter((entry) => entry.type === 'early_fraud_warning')).toHaveLength(1);

    expect(await processStripeEvent(deps, warning())).toBe('unchanged');
    expect(await processStripeEvent(deps, warning())).toBe('unchanged');
    expect(refunds).toEqual([{ idempotencyKey: 'ord_1:refund_in_full:early_fraud_warning', amount: 5000 }]);
    expect(pending.size).toBe(0);
  });

  it('ignores the other livemode and PaymentIntents that are not ours', async () => {
    const { orders, stored } = memoryOrders(capturedOrder());
    const before = stored();
    const { gateway, refunds } = recordingGateway(0);
    const deps = { orders, payments: gateway, livemode: async () => false };
    expect(await processStripeEvent(deps, warning(true))).toBe('ignored_livemode');
    expect(await processStripeEvent(deps, warning(false, 'pi_other'))).toBe('ignored_foreign');
    expect(await processStripeEvent(deps, { ...warning(), type: 'customer.created' })).toBe('ignored_type');
    expect(stored()).toBe(before);
    expect(refunds).toEqual([]);
  });
});
