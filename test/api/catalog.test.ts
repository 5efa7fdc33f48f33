import { describe, expect, it } from 'vitest';
import { createStore, problem, putProduct } from '../support/api.ts';

describe('catalog and coupons (contract section 3)', () => {
  it('puts, gets and lists products with pagination', async () => {
    const store = await createStore();
    const product = await putProduct(store, 'SKU-1', { name: 'Mug', unitAmount: 1250, stock: 7 });
    expect(product).toMatchObject({
      sku: 'SKU-1',
      name: 'Mug',
      unitAmount: 1250,
      currency: 'usd',
      stock: 7,
      active: true,
    });
    expect(typeof product.updatedAt).toBe('string');
    expect((await store.call('GET', '/v1/products/SKU-1')).body).toEqual(product);
    for (const sku of ['SKU-2', 'SKU-3']) await putProduct(store, sku, { unitAmount: 100, stock: 1 });
    const first = await store.call<{ data: { sku: string }[]; nextCursor: string | null }>(
      'GET',
      '/v1/products?limit=2',
    );
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await store.call<{ data: { sku: string }[]; nextCursor: string | null }>(
      'GET',
      `/v1/products?limit=2&cursor=${first.body.nextCursor}`,
    );
    const skus = [...first.body.data, ...second.body.data].map((item) => item.sku);
    expect(skus.sort()).toEqual(['SKU-1', 'SKU-2', 'SKU-3']);
  });

  it('sets stock absolutely on PUT', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 100, stock: 7 });
    expect((await putProduct(store, 'A', { unitAmount: 100, stock: 2 })).stock).toBe(2);
  });

  it('validates products strictly and names the field', async () => {
    const store = await createStore();
    const negative = await store.call('PUT', '/v1/products/A', {
      body: { name: 'x', unitAmount: -1, currency: 'usd', stock: 1 },
    });
    expect(problem(negative).body.errors).toContainEqual({
      path: '/unitAmount',
      message: 'Too small: expected number to be >=0',
    });
    expect(problem(negative).body.detail).toBe(
      'The request body is not valid: /unitAmount Too small: expected number to be >=0.',
    );
    const fractional = await store.call('PUT', '/v1/products/A', {
      body: { name: 'x', unitAmount: 1.5, currency: 'usd', stock: 1 },
    });
    expect(problem(fractional).body.errors).toContainEqual(expect.objectContaining({ path: '/unitAmount' }));
    const upper = await store.call('PUT', '/v1/products/A', {
      body: { name: 'x', unitAmount: 1, currency: 'USD', stock: 1 },
    });
    expect(problem(upper).body.errors).toContainEqual(expect.objectContaining({ path: '/currency' }));
    const badSku = await store.call('PUT', '/v1/products/bad%20sku', {
      body: { name: 'x', unitAmount: 1, currency: 'usd', stock: 1 },
    });
    expect(problem(badSku)).toMatchObject({ status: 400, code: 'validation_failed' });
    const limit = await store.call('GET', '/v1/products?limit=101');
    expect(problem(limit).body.errors).toContainEqual(expect.objectContaining({ path: '/query/limit' }));
    const cursor = await store.call('GET', '/v1/products?cursor=garbage');
    expect(problem(cursor).body.errors).toContainEqual(expect.objectContaining({ path: '/query/cursor' }));
  });

  it('adjusts stock conditionally: below 0 is 409 and nothing changes', async () => {
    const store = await createStore();
    await putProduct(store, 'A', { unitAmount: 100, stock: 3 });
    const up = await store.call('POST', '/v1/products/A/stock-adjustments', {
      body: { delta: 4, reason: 'restock' },
    });
    expect(up.body.stock).toBe(7);
    const tooMuch = await store.call('POST', '/v1/products/A/stock-adjustments', {
      body: { delta: -8, reason: 'damage' },
    });
    expect(problem(tooMuch)).toMatchObject({ status: 409, code: 'out_of_stock' });
    expect((await store.call('GET', '/v1/products/A')).body.stock).toBe(7);
    const zero = await store.call('POST', '/v1/products/A/stock-adjustments', {
      body: { delta: 0, reason: 'x' },
    });
    expect(problem(zero).body.errors).toContainEqual(expect.objectContaining({ path: '/delta' }));
    const missing = await store.call('POST', '/v1/products/NOPE/stock-adjustments', {
      body: { delta: 1, reason: 'x' },
    });
    expect(problem(missing)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('keeps each store apart: another store sees 404', async () => {
    const [owner, other] = await Promise.all([createStore(), createStore()]);
    await putProduct(owner, 'SECRET', { unitAmount: 100, stock: 1 });
    await owner.call('PUT', '/v1/coupons/OWN10', { body: { percentOff: 10 } });
    expect(problem(await other.call('GET', '/v1/products/SECRET'))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(problem(await other.call('GET', '/v1/coupons/OWN10')).code).toBe('not_found');
    expect((await other.call<{ data: unknown[] }>('GET', '/v1/products')).body.data).toEqual([]);
  });

  it('puts coupons: percent or amount with currency, keeping redemptions', async () => {
    const store = await createStore();
    const percent = await store.call('PUT', '/v1/coupons/TEN', {
      body: { percentOff: 10, maxRedemptions: 5 },
    });
    expect(percent.body).toMatchObject({
      code: 'TEN',
      percentOff: 10,
      active: true,
      maxRedemptions: 5,
      redemptions: 0,
    });
    const amount = await store.call('PUT', '/v1/coupons/FIVE', {
      body: { amountOff: 500, currency: 'usd', expiresAt: '2030-01-01T00:00:00.000Z' },
    });
    expect(amount.body).toMatchObject({ code: 'FIVE', amountOff: 500, currency: 'usd', redemptions: 0 });
    const switched = await store.call('PUT', '/v1/coupons/TEN', {
      body: { amountOff: 100, currency: 'usd' },
    });
    expect(switched.body).not.toHaveProperty('percentOff');
    expect(switched.body).not.toHaveProperty('maxRedemptions');
    for (const body of [
      {},
      { percentOff: 10, amountOff: 5, currency: 'usd' },
      { amountOff: 5 },
      { percentOff: 101 },
    ]) {
      expect(problem(await store.call('PUT', '/v1/coupons/BAD', { body })).code).toBe('validation_failed');
    }
    expect(problem(await store.call('GET', '/v1/coupons/NONE')).code).toBe('not_found');
  });
});
