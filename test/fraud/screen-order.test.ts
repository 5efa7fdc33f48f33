/**
 * The screening use case and the fraud check effect over in-memory ports: a decision is recorded
 * once, only while the order waits for screening, and its effects reach Stripe with the order's
 * idempotency keys; an authorisation queues exactly one fraud check.
 */
import { describe, expect, it } from 'vitest';
import type { Order } from '../../functions/domain/order.ts';
import { applyPaymentEvent, type PaymentEvent } from '../../functions/domain/payments.ts';
import type { ChargeView, PaymentEventsGateway, PaymentGateway } from '../../functions/domain/ports.ts';
import { defaultSettings } from '../../functions/domain/settings.ts';
import { type screenOrder as ScreenOrder, screenOrder } from '../../functions/fraud/screen-order.ts';
import { type FraudCheck, transitionOrder } from '../../functions/payments/effects.ts';
import { memoryOrders, placedOrder } from '../support/order-fixtures.ts';

const storeId = 'str_1';
const check = { storeId, orderId: 'ord_1' };
const intent = { id: 'pi_1', amount: 5000, currency: 'usd', metadata: { orderId: 'ord_1', storeId } };
const authorized: PaymentEvent = {
  kind: 'authorized',
  at: '2026-11-28T10:01:00.000Z',
  intent,
  chargeId: 'ch_1',
};

function recordingGateway(charge: ChargeView) {
  const calls: string[] = [];
  const unused = () => Promise.reject(new Error('not expected'));
  const view = { id: 'pi_1', status: 'requires_capture', amount: 5000, currency: 'usd', metadata: {} };
  const gateway: PaymentGateway & PaymentEventsGateway = {
    createPaymentIntent: unused,
    retrievePaymentIntent: unused,
    listRefunds: unused,
    retrieveDispute: unused,
    refund: unused,
    retrieveCharge: async () => charge,
    capturePaymentIntent: async (id, amount, key) => {
      calls.push(`capture ${id} ${amount} ${key}`);
      return view;
    },
    cancelPaymentIntent: async (id, reason, key) => {
      calls.push(`cancel ${id} ${reason} ${key}`);
      return view;
    },
  };
  return { gateway, calls };
}

function screeningDeps(order: Order, riskLevel: string) {
  const memory = memoryOrders(order);
  const { gateway, calls } = recordingGateway({
    id: 'ch_1',
    cardFingerprint: 'fp_1',
    riskLevel,
    cardCountry: 'US',
  });
  let signalReads = 0;
  const counted = new Set<string>();
  const deps: Parameters<typeof ScreenOrder>[0] = {
    orders: memory.orders,
    payments: gateway,
    stores: { get: async () => ({ settings: defaultSettings }) },
    signals: {
      countOrder: async (_store, orderId) => {
        signalReads++;
        const first = !counted.has(orderId);
        counted.add(orderId);
        return first;
      },
      ordersInWindow: async () => counted.size,
      isFirstOrder: async () => true,
      priorDisputes: async () => ({ email: false, card: false }),
    },
    disposableDomains: async () => ({ domains: new Set(), wildcardDomains: new Set() }),
    clock: () => new Date('2026-11-28T10:01:05.000Z'),
    emailHashKey: async () => 'test-email-hash-key',
  };
  return { deps, memory, calls, signalReads: () => signalReads };
}

const authorisedOrder = () => applyPaymentEvent(placedOrder(), authorized, { storeId }).order;

describe('screenOrder', () => {
  it('highest risk: rejects once, cancels the PaymentIntent as fraudulent and releases the stock', async () => {
    const { deps, memory, calls } = screeningDeps(authorisedOrder(), 'highest');
    const outcome = await screenOrder(deps, check);
    expect(outcome).toMatchObject({ outcome: 'decided', result: { decision: 'reject', score: 80 } });
    expect(memory.current()).toMatchObject({
      status: 'cancelled',
      cancelReason: 'fraud_rejected',
      fraudStatus: 'rejected',
      fraud: { decidedBy: 'rules', decidedAt: '2026-11-28T10:01:05.000Z' },
    });
    expect(memory.releases).toHaveLength(1);
    expect(calls).toEqual(['cancel pi_1 fraudulent ord_1:cancel_payment_intent']);
    expect(memory.pending.size).toBe(0);

    expect(await screenOrder(deps, check)).toEqual({ outcome: 'skipped' });
    expect(calls).toHaveLength(1);
  });

  it('normal risk: approves and captures the order total with the order key', async () => {
    const { deps, memory, calls } = screeningDeps(authorisedOrder(), 'normal');
    expect(await screenOrder(deps, check)).toMatchObject({ result: { decision: 'approve', score: 0 } });
    expect(memory.current().fraudStatus).toBe('approved');
    expect(calls).toEqual(['capture pi_1 5000 ord_1:capture']);
  });

  it('a redelivery performs the capture a decision still owes after Stripe failed, once', async () => {
    const { deps, memory, calls } = screeningDeps(authorisedOrder(), 'normal');
    const capture = deps.payments.capturePaymentIntent;
    deps.payments.capturePaymentIntent = async () => {
      throw new Error('Stripe timed out');
    };
    await expect(screenOrder(deps, check)).rejects.toThrow(/timed out/);
    expect(memory.current().fraudStatus).toBe('approved');
    expect([...memory.pending.keys()]).toEqual(['capture']);

    deps.payments.capturePaymentIntent = capture;
    expect(await screenOrder(deps, check)).toEqual({ outcome: 'skipped' });
    expect(calls).toEqual(['capture pi_1 5000 ord_1:capture']);
    expect(memory.pending.size).toBe(0);
    expect(await screenOrder(deps, check)).toEqual({ outcome: 'skipped' });
    expect(calls).toHaveLength(1);
  });

  it('leaves an earlier effect it has no means for to the consumer that has them, and still captures', async () => {
    const { deps, memory, calls } = screeningDeps(authorisedOrder(), 'normal');
    memory.pending.set('queue_fraud_screening', {
      id: 'queue_fraud_screening',
      effect: { kind: 'queue_fraud_screening', paymentIntentId: 'pi_1' },
    });
    expect(await screenOrder(deps, check)).toMatchObject({ result: { decision: 'approve' } });
    expect(calls).toEqual(['capture pi_1 5000 ord_1:capture']);
    expect([...memory.pending.keys()]).toEqual(['queue_fraud_screening']);
  });

  it('skips an order that does not wait for screening, without gathering signals', async () => {
    const { deps, calls, signalReads } = screeningDeps(placedOrder(), 'highest');
    expect(await screenOrder(deps, check)).toEqual({ outcome: 'skipped' });
    expect(signalReads()).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe('queue_fraud_screening', () => {
  it('an authorisation sends one fraud check, however often it is delivered', async () => {
    const memory = memoryOrders(placedOrder());
    const sent: FraudCheck[] = [];
    const deps = {
      orders: memory.orders,
      payments: recordingGateway({ id: 'ch_1', cardFingerprint: undefined }).gateway,
      fraudChecks: { enqueue: async (message: FraudCheck) => void sent.push(message) },
    };
    await transitionOrder(deps, check, () => authorized);
    await transitionOrder(deps, check, () => authorized);
    expect(sent).toEqual([{ storeId, orderId: 'ord_1' }]);
    expect(memory.pending.size).toBe(0);
  });

  it('without a queue the effect stays pending and the delivery fails, to be retried', async () => {
    const memory = memoryOrders(placedOrder());
    const deps = {
      orders: memory.orders,
      payments: recordingGateway({ id: 'ch_1', cardFingerprint: undefined }).gateway,
    };
    await expect(transitionOrder(deps, check, () => authorized)).rejects.toThrow(/fraud check queue/);
    expect([...memory.pending.keys()]).toEqual(['queue_fraud_screening']);
  });
});
