/**
 * Section 3: checkouts per second through the whole local stack (HTTP server, handler, Stripe
 * simulator, DynamoDB Local), set against the rate at which the same DynamoDB Local commits a bare
 * transaction of the checkout's shape. The ratio says how much of a checkout's time is spent
 * outside its one unavoidable write.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { freePort } from '../local/free-port.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { type LoadResult, runLoad } from './load.ts';
import type { BenchRow, BenchSection } from './section.ts';
import { round } from './stats.ts';

const count = 400;
const warmUps = 20;
const concurrency = 8;
const targetRatio = 0.25;
/** Roughly what a one-line order weighs as a DynamoDB item. */
const orderItemBytes = 2048;
const sku = 'bench-sku';

export const checkoutThroughput: BenchSection = {
  name: 'checkout-throughput',
  title: `Local checkout throughput (${count} requests, ${concurrency} in flight)`,
  async run({ log }) {
    const stack = await startLocalStack({
      port: await freePort(),
      stripeSimulatorPort: await freePort(),
      adminToken: `admin_bench_${randomUUID()}`,
      stripeWebhookSecret: 'whsec_bench',
      schedules: 'manual',
      log,
    });
    try {
      const { checkoutOnce, lastOrderBytes } = await prepareCheckouts(stack);
      log(`checkouts: ${warmUps} to warm up, then ${count}`);
      await runLoad(warmUps, concurrency, checkoutOnce);
      const checkouts = await runLoad(count, concurrency, checkoutOnce);

      const transactOnce = await prepareRawTransactions(stack);
      log(`raw TransactWriteItems: ${warmUps} to warm up, then ${count}`);
      await runLoad(warmUps, concurrency, transactOnce);
      const transactions = await runLoad(count, concurrency, transactOnce);

      const rows: BenchRow[] = [
        ...loadRows('checkout', 'req/s', checkouts),
        ...loadRows('raw TransactWriteItems', 'tx/s', transactions),
        {
          metric: 'checkout ÷ raw transaction rate',
          value: round(checkouts.perSecond / transactions.perSecond, 2),
          unit: '×',
          target: { atLeast: targetRatio },
        },
      ];
      return {
        rows,
        details: {
          count,
          warmUps,
          concurrency,
          // The 201 body of a checkout, to compare with the raw transaction's order-sized item.
          checkoutResponseBytes: lastOrderBytes(),
          rawOrderItemBytes: orderItemBytes,
          checkouts: summary(checkouts),
          transactions: summary(transactions),
        },
      };
    } finally {
      await stack.stop();
    }
  },
};

function loadRows(name: string, rateUnit: string, result: LoadResult): BenchRow[] {
  return [
    { metric: `${name} throughput`, value: round(result.perSecond), unit: rateUnit },
    { metric: `${name} p50`, value: round(result.p50Ms), unit: 'ms' },
    { metric: `${name} p99`, value: round(result.p99Ms), unit: 'ms' },
    { metric: `${name} failures`, value: result.failed, unit: 'count', target: { atMost: 0 } },
  ];
}

function summary(result: LoadResult) {
  const { latenciesMs: _latenciesMs, ...rest } = result;
  return rest;
}

/** A store with one product that cannot run out, and one checkout of one unit over HTTP. */
async function prepareCheckouts(
  stack: LocalStack,
): Promise<{ checkoutOnce: () => Promise<void>; lastOrderBytes: () => number }> {
  const adminToken = stack.environment.SALESOPS_ADMIN_TOKEN;
  const store = await request(stack, 'POST', '/admin/v1/stores', adminToken, { name: 'Bench store' }, 201);
  const apiKey = (JSON.parse(store) as { apiKey?: unknown }).apiKey;
  if (typeof apiKey !== 'string') throw new Error('store creation answered no apiKey');
  await request(
    stack,
    'PUT',
    `/v1/products/${sku}`,
    apiKey,
    { name: 'Bench product', unitAmount: 1999, currency: 'usd', stock: 100_000_000 },
    200,
  );
  let lastOrderBytes = 0;
  const checkoutOnce = async () => {
    const order = await request(
      stack,
      'POST',
      '/v1/checkouts',
      apiKey,
      {
        currency: 'usd',
        items: [{ sku, quantity: 1 }],
        // A new shopper each time, as real traffic would be.
        customer: { email: `shopper-${randomUUID().slice(0, 8)}@example.com`, type: 'b2c' },
        shippingAddress: {
          line1: '1 Market St',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          country: 'US',
        },
      },
      201,
    );
    lastOrderBytes = Buffer.byteLength(order);
  };
  return { checkoutOnce, lastOrderBytes: () => lastOrderBytes };
}

async function request(
  stack: LocalStack,
  method: string,
  path: string,
  token: string | undefined,
  body: unknown,
  expectedStatus: number,
): Promise<string> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return text;
}

/**
 * The checkout's write without anything around it: reserve stock on one product, put the order
 * (with the index keys an order carries) and put its payment-intent reference, in one transaction.
 */
async function prepareRawTransactions(stack: LocalStack): Promise<() => Promise<void>> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const tableName = stack.tableNames.main;
  if (tableName === undefined) throw new Error('the local stack has no main table');
  const run = randomUUID();
  const productKey = { pk: `BENCH#${run}`, sk: 'PRODUCT#raw' };
  await client.send(new PutCommand({ TableName: tableName, Item: { ...productKey, stock: 100_000_000 } }));
  let sequence = 0;
  return async () => {
    const orderId = `ord_bench_${run}_${sequence++}`;
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: productKey,
              UpdateExpression: 'SET stock = stock - :quantity',
              ConditionExpression: 'stock >= :quantity',
              ExpressionAttributeValues: { ':quantity': 1 },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: orderSizedItem(run, orderId),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { pk: `PAYMENT_INTENT#pi_${orderId}`, sk: '#REF', entity: 'paymentIntentRef', orderId },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  };
}

function orderSizedItem(run: string, orderId: string): Record<string, unknown> {
  const createdAt = new Date().toISOString();
  const item = {
    pk: `BENCH#${run}#ORDER#${orderId}`,
    sk: '#ORDER',
    entity: 'order',
    version: 1,
    gsi1pk: `ORDERS#bench-${run}`,
    gsi1sk: `${createdAt}#${orderId}`,
    gsi2pk: `ORDERS#bench-${run}#pending_payment`,
    gsi2sk: `${createdAt}#${orderId}`,
    duepk: `DUE#reservation#${orderId.length % 8}`,
    duesk: `${createdAt}#${orderId}`,
    id: orderId,
    status: 'pending_payment',
    currency: 'usd',
    lines: [{ sku, name: 'Bench product', quantity: 1, unitAmount: 1999, amount: 1999 }],
    totals: { subtotal: 1999, discount: 0, shipping: 0, tax: 145, total: 2144 },
    customer: { email: 'shopper@example.com', type: 'b2c' },
    shippingAddress: {
      line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postalCode: '94105',
      country: 'US',
    },
    createdAt,
  };
  // The padding brings the item to an order's weight; DynamoDB's cost grows with item size.
  const padding = Math.max(0, orderItemBytes - JSON.stringify(item).length);
  return { ...item, notes: 'x'.repeat(padding) };
}
