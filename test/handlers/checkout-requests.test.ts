/**
 * The checkout handler's happy path, invoked as Lambda would against the running stack's
 * DynamoDB Local and Stripe simulator, with every DynamoDB request counted at the SDK.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { checkoutBody, createStore, putProduct } from '../support/api.ts';
import { httpEvent, testContext } from '../support/events.ts';
import { stripeRequests } from '../support/stripe.ts';

type Handler = typeof import('../../functions/checkout/handler.ts')['handler'];
let handler: Handler;
const dynamoCommands: string[] = [];

beforeAll(async () => {
  Object.assign(process.env, inject('stackEnvironment'));
  const { dynamoClient } = await import('../../functions/adapters/dynamodb.ts');
  dynamoClient.middlewareStack.add(
    (next, context) => async (args) => {
      dynamoCommands.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  ({ handler } = await import('../../functions/checkout/handler.ts'));
});

describe('checkout request budget', () => {
  it('makes at most 5 DynamoDB requests and 1 Stripe request on the happy path, idempotency included', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 10 });
    await putProduct(store, 'B', { unitAmount: 500, stock: 10 });
    await store.call('PUT', '/v1/coupons/TEN', { body: { percentOff: 10 } });
    dynamoCommands.length = 0;

    const response = await handler(
      httpEvent({
        routeKey: 'POST /v1/checkouts',
        path: '/v1/checkouts',
        headers: { authorization: `Bearer ${store.apiKey}`, 'idempotency-key': randomUUID() },
        body: checkoutBody(
          [
            { sku: 'A', quantity: 1 },
            { sku: 'B', quantity: 2 },
          ],
          { couponCode: 'TEN' },
        ),
      }),
      testContext('checkout'),
    );

    expect(response.statusCode).toBe(201);
    const order = JSON.parse(response.body ?? '{}') as { id: string; payment: { paymentIntentId: string } };
    expect(dynamoCommands).toEqual([
      'GetItemCommand', // the store behind the API key
      'PutItemCommand', // the idempotency record, in progress
      'BatchGetItemCommand', // products and coupon
      'TransactWriteItemsCommand', // stock, coupon, order and PaymentIntent reference
      'UpdateItemCommand', // the idempotency record, completed with the response
    ]);
    const stripe = (await stripeRequests()).filter(
      (request) =>
        request.idempotencyKey?.startsWith(order.id) === true ||
        request.path.includes(order.payment.paymentIntentId),
    );
    expect(stripe).toEqual([expect.objectContaining({ method: 'POST', path: '/v1/payment_intents' })]);
  });
});
