/**
 * The sweeper's retry of owed payment effects (functions/orders/owed-effects.ts) on DynamoDB Local:
 * a capture that Stripe kept failing through every delivery of its decision is found in the due
 * index once its grace is over, retried hourly while Stripe still fails, and performed once it
 * answers. The test has tables of its own: the running stack's sweeper would take its effects up.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { OrdersRepository as OrdersRepositoryType } from '../../functions/adapters/orders-repository.ts';
import { applyPaymentEvent, type PaymentEvent } from '../../functions/domain/payments.ts';
import type { PaymentEventsGateway, PaymentGateway } from '../../functions/domain/ports.ts';
import type { retryOwedEffects as RetryOwedEffects } from '../../functions/orders/owed-effects.ts';
import type { transitionOrder as TransitionOrder } from '../../functions/payments/effects.ts';
import { placedOrder } from '../support/order-fixtures.ts';

let client: typeof import('../../functions/adapters/dynamodb.ts')['documentClient'];
let items: typeof import('../../functions/adapters/order-items.ts');
let repository: typeof import('../../functions/adapters/orders-repository.ts');
let retryOwedEffects: typeof RetryOwedEffects;
let owedEffectRetryMs: number;
let transitionOrder: typeof TransitionOrder;

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  client = (await import('../../functions/adapters/dynamodb.ts')).documentClient;
  items = await import('../../functions/adapters/order-items.ts');
  repository = await import('../../functions/adapters/orders-repository.ts');
  ({ retryOwedEffects, owedEffectRetryMs } = await import('../../functions/orders/owed-effects.ts'));
  ({ transitionOrder } = await import('../../functions/payments/effects.ts'));
});

const decidedAt = new Date('2026-11-28T10:05:00.000Z');
const minutes = (count: number) => new Date(decidedAt.getTime() + count * 60_000);

/** A Stripe that fails every capture until told otherwise, and records the ones it makes. */
function flakyStripe() {
  const stripe = { failing: true, attempts: 0, captures: [] as string[] };
  const unused = () => Promise.reject(new Error('not expected'));
  const payments: PaymentGateway & PaymentEventsGateway = {
    createPaymentIntent: unused,
    retrievePaymentIntent: unused,
    cancelPaymentIntent: unused,
    refund: unused,
    listRefunds: unused,
    retrieveDispute: unused,
    retrieveCharge: unused,
    capturePaymentIntent: async (id, amount, key) => {
      stripe.attempts++;
      if (stripe.failing) throw new Error('Stripe answered 500 (replayed for this idempotency key)');
      stripe.captures.push(`${id} ${amount} ${key}`);
      return { id, status: 'succeeded', amount, currency: 'usd', metadata: {} };
    },
  };
  return { stripe, payments };
}

/** Tables of the test's own, holding one authorised order that waits for screening. */
async function world() {
  const { createTables } = await import('../../bin/local/tables.ts');
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  const prefix = `owed${randomUUID().slice(0, 8)}`;
  const tableName = `${prefix}-main`;
  await createTables(dynamoClient, { main: tableName, idempotency: `${prefix}-idempotency` });
  const storeId = `str_owed${randomUUID().slice(0, 8)}`;
  const placed = placedOrder(new Date('2026-11-28T10:00:00.000Z'));
  const authorized: PaymentEvent = {
    kind: 'authorized',
    at: '2026-11-28T10:01:00.000Z',
    intent: { id: 'pi_1', amount: 5000, currency: 'usd', metadata: { orderId: placed.id, storeId } },
    chargeId: 'ch_1',
  };
  const order = applyPaymentEvent(placed, authorized, { storeId }).order;
  await client.send(new PutCommand({ TableName: tableName, Item: items.orderItem(storeId, order, 1) }));
  let now = decidedAt;
  const clock = { now: () => now };
  const orders: OrdersRepositoryType = new repository.OrdersRepository(client, tableName, clock);
  const effectKey = repository.pendingEffectKey(storeId, order.id, 'capture');
  const pendingCapture = async () =>
    (await client.send(new GetCommand({ TableName: tableName, Key: effectKey, ConsistentRead: true }))).Item;
  return {
    tableName,
    storeId,
    order,
    orders,
    clock,
    pendingCapture,
    at: (time: Date) => {
      now = time;
    },
    /** What a lapsed lease looks like: the delivery that held it is long gone. */
    lapseLease: () =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: effectKey,
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
        }),
      ),
  };
}

const approve: PaymentEvent = {
  kind: 'fraud_decided',
  decision: {
    decision: 'approve',
    score: 0,
    reasons: [],
    decidedBy: 'rules',
    decidedAt: decidedAt.toISOString(),
  },
};

describe('owed payment effects', () => {
  it('retries a capture Stripe kept failing hourly from the sweep, and performs it once Stripe answers', async () => {
    const { storeId, order, orders, clock, pendingCapture, at, lapseLease } = await world();
    const { stripe, payments } = flakyStripe();
    const failures: string[] = [];
    const sweep = () =>
      retryOwedEffects({ orders, owed: orders, payments, clock }, (orderId) => failures.push(orderId));

    // The decision is written with its capture owed; Stripe fails it on every delivery.
    await expect(
      transitionOrder({ orders, payments }, { storeId, orderId: order.id }, () => approve),
    ).rejects.toThrow(/500/);
    await lapseLease();
    expect(await pendingCapture()).toMatchObject({ effect: { kind: 'capture', amount: 5000 } });

    // Within its grace the deliveries' retries own it.
    at(minutes(14));
    expect(await sweep()).toEqual({ retried: 0, failed: 0 });
    expect(stripe.attempts).toBe(1);

    // Then the sweep takes it up; Stripe still fails, so it waits an hour.
    at(minutes(16));
    expect(await sweep()).toEqual({ retried: 0, failed: 1 });
    expect(failures).toEqual([order.id]);
    expect(stripe.attempts).toBe(2);
    at(minutes(30));
    expect(await sweep()).toEqual({ retried: 0, failed: 0 });
    expect(stripe.attempts).toBe(2);

    // An hour on, Stripe answers: the capture is made once, with the order's key, and settled.
    stripe.failing = false;
    at(new Date(minutes(16).getTime() + owedEffectRetryMs + 1));
    await lapseLease(); // the failed retry's lease, an hour old by now
    expect(await sweep()).toEqual({ retried: 1, failed: 0 });
    expect(stripe.captures).toEqual([`pi_1 5000 ${order.id}:capture`]);
    expect(await pendingCapture()).toBeUndefined();
    at(new Date(minutes(16).getTime() + 3 * owedEffectRetryMs));
    expect(await sweep()).toEqual({ retried: 0, failed: 0 });
    expect(stripe.captures).toHaveLength(1);
  });
});
