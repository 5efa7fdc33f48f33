/**
 * The fraud screening's signals on the running stack's DynamoDB Local: velocity counters counted
 * once per order in hour buckets and read over a window, the first order of an email, the
 * dispute history, and the whole snapshot `gatherSignals` builds for an order.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { OrdersRepository } from '../../functions/adapters/orders-repository.ts';
import type { Order } from '../../functions/domain/order.ts';
import type { ChargeView, PaymentEventsGateway, PaymentGateway } from '../../functions/domain/ports.ts';
import type { gatherSignals as GatherSignals } from '../../functions/fraud/screen-order.ts';
import type { FraudSignalsRepository } from '../../functions/fraud/signals-repository.ts';
import { emailDigest } from '../../functions/payments/effects.ts';

let signals: FraudSignalsRepository;
let orders: OrdersRepository;
let gatherSignals: typeof GatherSignals;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  const { FraudSignalsRepository } = await import('../../functions/fraud/signals-repository.ts');
  const { OrdersRepository } = await import('../../functions/adapters/orders-repository.ts');
  ({ gatherSignals } = await import('../../functions/fraud/screen-order.ts'));
  signals = new FraudSignalsRepository(documentClient, mainTableName());
  orders = new OrdersRepository(documentClient, mainTableName());
});

const emailHashKey = 'test-email-hash-key';

/** What the checkout's transaction does for velocity: one more order for the email and the IP. */
async function countedAtCheckout(store: string, normalizedEmail: string, at: Date): Promise<void> {
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  const { TransactWriteCommand } = await import('@aws-sdk/lib-dynamodb');
  const { velocityOrderMark } = await import('../../functions/adapters/velocity-keys.ts');
  const orderId = `o_${randomUUID()}`;
  await documentClient.send(
    new TransactWriteCommand({
      TransactItems: [
        velocityOrderMark(
          mainTableName(),
          store,
          { kind: 'EMAIL', value: emailDigest(normalizedEmail, emailHashKey) },
          at,
          orderId,
        ),
        velocityOrderMark(mainTableName(), store, { kind: 'IP', value: '203.0.113.7' }, at, orderId),
      ],
    }),
  );
}
const hours = (count: number) => count * 3_600_000;
const storeId = () => `st_${randomUUID().slice(0, 8)}`;

describe('velocity counters', () => {
  it('count each order once, however often it is screened, and only within the window', async () => {
    const store = storeId();
    const email = { kind: 'EMAIL' as const, value: emailDigest('a@example.com', emailHashKey) };
    const card = { kind: 'CARD' as const, value: 'fp_1' };
    const now = new Date('2026-11-29T12:30:00.000Z');

    const first = await Promise.all([
      signals.countOrder(store, 'o1', [email, card], now),
      signals.countOrder(store, 'o1', [email, card], now),
    ]);
    expect(first.filter(Boolean)).toHaveLength(1);
    expect(await signals.countOrder(store, 'o1', [email, card], now)).toBe(false);
    await signals.countOrder(store, 'o2', [email], new Date(now.getTime() - hours(3)));
    await signals.countOrder(store, 'o3', [email], new Date(now.getTime() - hours(30)));

    expect(await signals.ordersInWindow(store, email, now, 24)).toBe(2);
    expect(await signals.ordersInWindow(store, email, now, 48)).toBe(3);
    expect(await signals.ordersInWindow(store, email, now, 1)).toBe(1);
    expect(await signals.ordersInWindow(store, card, now, 24)).toBe(1);
    // Counters are per store.
    expect(await signals.ordersInWindow(storeId(), email, now, 24)).toBe(0);
  });
});

describe('first order and dispute history', () => {
  it("records the email's first order, which stays the first", async () => {
    const store = storeId();
    const hash = emailDigest('first@example.com', emailHashKey);
    const at = new Date();
    expect(await signals.isFirstOrder(store, hash, 'o1', at)).toBe(true);
    expect(await signals.isFirstOrder(store, hash, 'o2', at)).toBe(false);
    expect(await signals.isFirstOrder(store, hash, 'o1', at)).toBe(true);
    expect(await signals.isFirstOrder(storeId(), hash, 'o2', at)).toBe(true);
  });

  it('finds disputes recorded by email hash or card fingerprint in the same store only', async () => {
    const store = storeId();
    const hash = emailDigest('disputer@example.com', emailHashKey);
    const dispute = { disputeId: 'dp_1', orderId: 'o1', at: new Date().toISOString() };
    expect(await signals.priorDisputes(store, hash, 'fp_d')).toEqual({ email: false, card: false });
    await orders.recordPriorDispute(store, 'EMAIL', hash, dispute);
    expect(await signals.priorDisputes(store, hash, 'fp_d')).toEqual({ email: true, card: false });
    await orders.recordPriorDispute(store, 'CARD', 'fp_d', dispute);
    expect(
      await signals.priorDisputes(store, emailDigest('other@example.com', emailHashKey), 'fp_d'),
    ).toEqual({
      email: false,
      card: true,
    });
    expect(await signals.priorDisputes(storeId(), hash, 'fp_d')).toEqual({ email: false, card: false });
  });
});

describe('gatherSignals', () => {
  const charge: ChargeView = {
    id: 'ch_1',
    cardFingerprint: 'fp_gather',
    riskLevel: 'elevated',
    cardCountry: 'GB',
  };
  const payments = {
    retrieveCharge: async (id: string) => {
      if (id !== 'ch_1') throw new Error(`unexpected charge ${id}`);
      return charge;
    },
  } as Pick<PaymentEventsGateway, 'retrieveCharge'> as PaymentGateway & PaymentEventsGateway;
  const disposableDomains = async () => ({
    domains: new Set(['mailinator.com']),
    wildcardDomains: new Set<string>(),
  });

  function order(id: string, email: string, failures: number): Order {
    return {
      id,
      customer: { email, type: 'b2c' },
      clientIp: '203.0.113.7',
      shippingAddress: { line1: '1 Main St', city: 'Austin', postalCode: '78701', country: 'US' },
      amounts: { subtotal: 1000, discount: 0, shipping: 0, tax: 0, total: 1000, captured: 0, refunded: 0 },
      paymentFacts: {
        authorization: { at: new Date().toISOString(), chargeId: 'ch_1' },
        intentMismatches: [],
        failedAttempts: Array.from({ length: failures }, (_, index) => ({
          id: `ch_f${index}`,
          at: new Date().toISOString(),
        })),
        decisions: [],
        refunds: [],
        disputes: [],
        earlyFraudWarnings: [],
      },
    } as unknown as Order;
  }

  it('builds the snapshot of an order: Radar, card, velocity with this order, first order, failures', async () => {
    const store = storeId();
    const now = new Date();
    const deps = { payments, signals, disposableDomains, emailHashKey: async () => emailHashKey };
    // The checkout counts each order's email and IP when it creates it; screening counts the card.
    await countedAtCheckout(store, 'buyer@mailinator.com', now);
    const first = await gatherSignals(deps, store, order('o1', ' Buyer@Mailinator.com', 3), 24, now);
    expect(first).toMatchObject({
      riskLevel: 'elevated',
      cardFingerprint: 'fp_gather',
      cardCountry: 'GB',
      ordersInWindow: { email: 1, ip: 1, card: 1 },
      priorDispute: { email: false, card: false },
      failedAttempts: 3,
      isFirstOrder: true,
      disposableEmail: true,
    });
    // A redelivery of the same order counts nothing more.
    expect(
      (await gatherSignals(deps, store, order('o1', 'buyer@mailinator.com', 3), 24, now)).ordersInWindow,
    ).toEqual({
      email: 1,
      ip: 1,
      card: 1,
    });
    await countedAtCheckout(store, 'buyer@mailinator.com', now);
    const second = await gatherSignals(deps, store, order('o2', 'BUYER@mailinator.com', 0), 24, now);
    expect(second).toMatchObject({
      ordersInWindow: { email: 2, ip: 2, card: 2 },
      failedAttempts: 0,
      isFirstOrder: false,
    });
  });
});
