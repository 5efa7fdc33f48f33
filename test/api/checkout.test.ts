import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { address, checkoutBody, createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import { injectStripeFaults, simulatorStripe } from '../support/stripe.ts';

type OrderBody = {
  id: string;
  status: string;
  amounts: Record<string, number>;
  lines: { sku: string; quantity: number; unitAmount: number; amount: number; shippedQuantity: number }[];
  payment: { provider: string; paymentIntentId: string; clientSecret: string };
  reservationExpiresAt: string;
  createdAt: string;
};

const stock = async (store: TestStore, sku: string) =>
  (await store.call('GET', `/v1/products/${sku}`)).body.stock;

describe('checkout (contract section 4)', () => {
  it('prices on the server, reserves stock and opens a manual-capture PaymentIntent for the total', async () => {
    const store = await createStore({
      settings: {
        taxRates: { 'US-CA': 0.0725, US: 0.05, '*': 0 },
        shippingRates: [
          { country: 'US', currency: 'usd', amount: 599, freeOverSubtotal: 100000 },
          { country: '*', currency: 'usd', amount: 1999 },
        ],
      },
    });
    await putProduct(store, 'MUG', { unitAmount: 1299, stock: 10 });
    await putProduct(store, 'TEE', { unitAmount: 2450, stock: 5 });
    await store.call('PUT', '/v1/coupons/SAVE15', { body: { percentOff: 15 } });
    const response = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody(
        [
          { sku: 'MUG', quantity: 3 },
          { sku: 'TEE', quantity: 1 },
        ],
        {
          couponCode: 'SAVE15',
          attribution: { channel: 'outbound', salesRepId: 'rep_7', territory: 'west' },
          metadata: { cartId: 'c1' },
        },
      ),
    });
    expect(response.status).toBe(201);
    const order = response.body;
    // subtotal 3 × 1299 + 2450 = 6347; 15 % → 952.05 → 952; taxed 5395 × 0.0725 = 391.1375 → 391
    expect(order.amounts).toEqual({
      subtotal: 6347,
      discount: 952,
      shipping: 599,
      tax: 391,
      total: 6385,
      captured: 0,
      refunded: 0,
    });
    expect(order).toMatchObject({
      status: 'pending_payment',
      paymentStatus: 'requires_payment',
      fraudStatus: 'not_screened',
      fulfilmentStatus: 'unfulfilled',
      currency: 'usd',
      couponCode: 'SAVE15',
    });
    expect(order.id).toMatch(/^ord_/);
    expect(order.lines).toEqual([
      { sku: 'MUG', name: 'MUG', quantity: 3, unitAmount: 1299, amount: 3897, shippedQuantity: 0 },
      { sku: 'TEE', name: 'TEE', quantity: 1, unitAmount: 2450, amount: 2450, shippedQuantity: 0 },
    ]);
    expect(Date.parse(order.reservationExpiresAt) - Date.parse(order.createdAt)).toBe(30 * 60_000);
    expect(await stock(store, 'MUG')).toBe(7);
    expect(await stock(store, 'TEE')).toBe(4);
    expect((await store.call('GET', '/v1/coupons/SAVE15')).body.redemptions).toBe(1);

    const intent = await simulatorStripe().paymentIntents.retrieve(order.payment.paymentIntentId);
    expect(intent).toMatchObject({
      amount: 6385,
      currency: 'usd',
      capture_method: 'manual',
      metadata: { orderId: order.id, storeId: store.id },
    });
    expect(order.payment.clientSecret).toBe(intent.client_secret);

    const fetched = await store.call<OrderBody>('GET', `/v1/orders/${order.id}`);
    expect(fetched.body.amounts).toEqual(order.amounts);
    expect(fetched.body.payment).toEqual({ provider: 'stripe', paymentIntentId: intent.id });
  });

  it('uses the most specific shipping and tax match and free shipping over the threshold', async () => {
    const store = await createStore({
      settings: {
        taxRates: { US: 0.05, '*': 0.2 },
        shippingRates: [
          { country: '*', currency: 'usd', amount: 1500 },
          { country: 'FR', currency: 'usd', amount: 900, freeOverSubtotal: 5000 },
        ],
      },
    });
    await putProduct(store, 'A', { unitAmount: 2500, stock: 10 });
    const france = { ...address, state: undefined, country: 'FR' };
    const paid = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }], { shippingAddress: france }),
    });
    expect(paid.body.amounts).toMatchObject({ subtotal: 2500, shipping: 900, tax: 500, total: 3900 });
    const free = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 2 }], { shippingAddress: france }),
    });
    expect(free.body.amounts).toMatchObject({ subtotal: 5000, shipping: 0, tax: 1000, total: 6000 });
    const texas = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }], { shippingAddress: { ...address, state: 'TX' } }),
    });
    expect(texas.body.amounts).toMatchObject({ shipping: 1500, tax: 125, total: 4125 });
  });

  it('caps an amount-off coupon at the subtotal and rounds half away from zero', async () => {
    const store = await createStore({ settings: { taxRates: { US: 0.0725 } } });
    await putProduct(store, 'A', { unitAmount: 1000, stock: 10 });
    await putProduct(store, 'B', { unitAmount: 30, stock: 50 });
    await store.call('PUT', '/v1/coupons/BIG', { body: { amountOff: 5000, currency: 'usd' } });
    const capped = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody(
        [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 20 },
        ],
        { couponCode: 'BIG', shippingAddress: { ...address, state: undefined } },
      ),
    });
    // subtotal 1600, discount capped at 1600 → total 0 < 50: not chargeable
    expect(problem(capped)).toMatchObject({ status: 422, code: 'amount_out_of_range' });
    const half = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 2 }], { shippingAddress: { ...address, state: undefined } }),
    });
    // 2000 × 0.0725 = 145 exactly; and 30 × 0.0725 × 20 = 43.5 → 44 (half away from zero)
    expect(half.body.amounts.tax).toBe(145);
    const b = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'B', quantity: 20 }], { shippingAddress: { ...address, state: undefined } }),
    });
    expect(b.body.amounts).toMatchObject({ subtotal: 600, tax: 44, total: 644 });
  });

  it('answers each pricing error with its code and names the lines', async () => {
    const store = await createStore();
    await putProduct(store, 'USD', { unitAmount: 1000, stock: 10 });
    await putProduct(store, 'EUR', { unitAmount: 1000, currency: 'eur', stock: 10 });
    await putProduct(store, 'OFF', { unitAmount: 1000, stock: 10, active: false });
    await putProduct(store, 'CHEAP', { unitAmount: 10, stock: 10 });
    await store.call('PUT', '/v1/coupons/OLD', {
      body: { percentOff: 10, expiresAt: '2020-01-01T00:00:00.000Z' },
    });
    await store.call('PUT', '/v1/coupons/PAUSED', { body: { percentOff: 10, active: false } });

    const unknown = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([
        { sku: 'USD', quantity: 1 },
        { sku: 'NOPE', quantity: 1 },
        { sku: 'OFF', quantity: 1 },
      ]),
    });
    expect(problem(unknown)).toMatchObject({ status: 422, code: 'unknown_sku' });
    expect(problem(unknown).body.errors?.map((error) => error.path)).toEqual([
      '/items/1/sku',
      '/items/2/sku',
    ]);

    const mismatch = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'EUR', quantity: 1 }]),
    });
    expect(problem(mismatch)).toMatchObject({ status: 422, code: 'currency_mismatch' });

    const kwd = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'USD', quantity: 1 }], { currency: 'kwd' }),
    });
    expect(problem(kwd)).toMatchObject({ status: 422, code: 'unsupported_currency' });

    for (const couponCode of ['MISSING', 'OLD', 'PAUSED']) {
      const invalid = await store.call('POST', '/v1/checkouts', {
        body: checkoutBody([{ sku: 'USD', quantity: 1 }], { couponCode }),
      });
      expect(problem(invalid)).toMatchObject({ status: 422, code: 'invalid_coupon' });
    }

    const small = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'CHEAP', quantity: 1 }]),
    });
    expect(problem(small)).toMatchObject({ status: 422, code: 'amount_out_of_range' });
    const large = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([
        { sku: 'USD', quantity: 999 },
        { sku: 'CHEAP', quantity: 1 },
      ]),
    });
    expect(problem(large).code).toBe('out_of_stock');
    expect(await stock(store, 'USD')).toBe(10);
  });

  it('rejects a checkout exhausting a coupon once it has no redemptions left', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 10 });
    await store.call('PUT', '/v1/coupons/ONCE', { body: { percentOff: 50, maxRedemptions: 1 } });
    const first = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }], { couponCode: 'ONCE' }),
    });
    expect(first.status).toBe(201);
    const second = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }], { couponCode: 'ONCE' }),
    });
    expect(problem(second)).toMatchObject({ status: 422, code: 'invalid_coupon' });
    expect(await stock(store, 'A')).toBe(9);
  });

  it('validates strictly: a client-sent price is rejected and every bad field is named', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 10 });
    const priced = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1, unitAmount: 1 } as never]),
    });
    expect(problem(priced)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(priced).body.errors).toEqual([
      { path: '/items/0/unitAmount', message: 'unknown property' },
    ]);
    const many = await store.call('POST', '/v1/checkouts', {
      body: {
        ...checkoutBody([
          { sku: 'A', quantity: 0 },
          { sku: 'A', quantity: 1000 },
        ]),
        customer: { email: 'not-an-email', type: 'b2x' },
      },
    });
    const paths = problem(many).body.errors?.map((error) => error.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/items/0/quantity', '/items/1/quantity', '/customer/email', '/customer/type']),
    );
    const duplicate = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 2 },
      ]),
    });
    expect(problem(duplicate).body.errors).toContainEqual(expect.objectContaining({ path: '/items/1/sku' }));
    const tooMany = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody(Array.from({ length: 51 }, (_, index) => ({ sku: `S${index}`, quantity: 1 }))),
    });
    expect(problem(tooMany).body.errors).toContainEqual(expect.objectContaining({ path: '/items' }));
    const metadata = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }], {
        metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
      }),
    });
    expect(problem(metadata).body.errors).toContainEqual(expect.objectContaining({ path: '/metadata' }));
    const notJson = await store.call('POST', '/v1/checkouts', {
      rawBody: '{"currency":',
      headers: { 'content-type': 'application/json' },
    });
    expect(problem(notJson)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await stock(store, 'A')).toBe(10);
  });

  it('limits bodies to 256 KiB with 413, after auth and before validation', async () => {
    const store = await createStore();
    const huge = JSON.stringify({ currency: 'usd', padding: 'x'.repeat(256 * 1024) });
    const tooLarge = await store.call('POST', '/v1/checkouts', {
      rawBody: huge,
      headers: { 'content-type': 'application/json' },
    });
    expect(problem(tooLarge)).toMatchObject({
      status: 413,
      code: 'payload_too_large',
      contentType: 'application/problem+json',
    });
    const anonymous = await store.call('POST', '/v1/checkouts', { token: 'wrong', rawBody: huge });
    expect(problem(anonymous).status).toBe(401);
    const justUnder = JSON.stringify({ currency: 'usd', padding: 'x'.repeat(200 * 1024) });
    const invalid = await store.call('POST', '/v1/checkouts', { rawBody: justUnder });
    expect(problem(invalid).status).toBe(400);
  });

  it('reserves all lines or none: a two-line checkout with one short line reserves nothing', async () => {
    const store = await createStore();
    await putProduct(store, 'PLENTY', { unitAmount: 1000, stock: 10 });
    await putProduct(store, 'SCARCE', { unitAmount: 1000, stock: 1 });
    const response = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([
        { sku: 'PLENTY', quantity: 2 },
        { sku: 'SCARCE', quantity: 2 },
      ]),
    });
    expect(problem(response)).toMatchObject({ status: 409, code: 'out_of_stock' });
    expect(problem(response).body.errors).toEqual([
      { path: '/items/1/quantity', message: 'only 1 of "SCARCE" available' },
    ]);
    expect(await stock(store, 'PLENTY')).toBe(10);
    expect(await stock(store, 'SCARCE')).toBe(1);
    expect((await store.call<{ data: unknown[] }>('GET', '/v1/orders')).body.data).toEqual([]);
  });

  it('never oversells: 50 concurrent single-unit checkouts on stock 10 → exactly 10 orders', async () => {
    const store = await createStore();
    await putProduct(store, 'HOT', { unitAmount: 1000, stock: 10 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        store.call('POST', '/v1/checkouts', { body: checkoutBody([{ sku: 'HOT', quantity: 1 }]) }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(40);
    expect(await stock(store, 'HOT')).toBe(0);
    const orders = await store.call<{ data: unknown[] }>('GET', '/v1/orders?limit=100');
    expect(orders.body.data).toHaveLength(10);
  });

  it('runs a checkout once per Idempotency-Key, even for 10 concurrent copies', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 20 });
    const key = randomUUID();
    const body = checkoutBody([{ sku: 'A', quantity: 2 }]);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.call<OrderBody>('POST', '/v1/checkouts', { body, headers: { 'idempotency-key': key } }),
      ),
    );
    const succeeded = responses.filter((response) => response.status === 201);
    const inUse = responses.filter((response) => response.status === 409);
    expect(succeeded.length + inUse.length).toBe(10);
    expect(new Set(succeeded.map((response) => response.body.id)).size).toBe(1);
    for (const response of inUse) expect(response.body).toMatchObject({ code: 'idempotency_key_in_use' });
    const replay = await store.call<OrderBody>('POST', '/v1/checkouts', {
      body,
      headers: { 'idempotency-key': key },
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const first = succeeded[0] ?? replay;
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await stock(store, 'A')).toBe(18);
    const orders = await store.call<{ data: { payment: { paymentIntentId: string } }[] }>(
      'GET',
      '/v1/orders',
    );
    expect(orders.body.data).toHaveLength(1);
    const intents = await simulatorStripe().paymentIntents.list({ limit: 100 });
    expect(intents.data.filter((intent) => intent.metadata.storeId === store.id)).toHaveLength(1);
  });

  it('answers 422 idempotency_key_reused for the same key with another body, and replays 4xx', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 1000, stock: 5 });
    const key = randomUUID();
    const first = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 1 }]),
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    const other = await store.call('POST', '/v1/checkouts', {
      body: checkoutBody([{ sku: 'A', quantity: 2 }]),
      headers: { 'idempotency-key': key },
    });
    expect(problem(other)).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    const badKey = randomUUID();
    const bad = checkoutBody([{ sku: 'A', quantity: 99 }]);
    const short = await store.call('POST', '/v1/checkouts', {
      body: bad,
      headers: { 'idempotency-key': badKey },
    });
    expect(problem(short).status).toBe(409);
    await store.call('POST', '/v1/products/A/stock-adjustments', { body: { delta: 100, reason: 'restock' } });
    const replayed = await store.call('POST', '/v1/checkouts', {
      body: bad,
      headers: { 'idempotency-key': badKey },
    });
    expect(replayed.status).toBe(409);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const tooLong = await store.call('POST', '/v1/checkouts', {
      body: bad,
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(problem(tooLong).status).toBe(400);
  });

  it.each(['error', 'refuse'] as const)(
    'answers 503 when Stripe fails (%s), keeps the stock, and a retry with the same key succeeds',
    async (mode) => {
      const store = await createStore();
      await putProduct(store, 'A', { unitAmount: 1000, stock: 3 });
      const key = randomUUID();
      const body = checkoutBody([{ sku: 'A', quantity: 2 }]);
      // The SDK retries a closed connection once even with retries off, so a refusal must last two.
      await injectStripeFaults(mode, mode === 'refuse' ? 2 : 1, store.id);
      const failed = await store.call('POST', '/v1/checkouts', { body, headers: { 'idempotency-key': key } });
      expect(problem(failed)).toMatchObject({ status: 503, code: 'upstream_unavailable' });
      expect(JSON.stringify(failed.body)).not.toMatch(/stack|Stripe\w*Error|ECONN/);
      expect(await stock(store, 'A')).toBe(3);
      const retried = await store.call<OrderBody>('POST', '/v1/checkouts', {
        body,
        headers: { 'idempotency-key': key },
      });
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      expect(await stock(store, 'A')).toBe(1);
    },
  );
});
