import { describe, expect, inject, it } from 'vitest';
import { call, createStore, problem } from '../support/api.ts';

describe('admin and store settings (contract section 2)', () => {
  it('creates a store and shows its secrets once', async () => {
    const response = await call('POST', '/admin/v1/stores', {
      token: inject('adminToken'),
      body: { name: 'Acme EU', timezone: 'Europe/Paris', defaultCurrency: 'eur' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      name: 'Acme EU',
      timezone: 'Europe/Paris',
      defaultCurrency: 'eur',
    });
    expect(response.body.id).toMatch(/^str_/);
    expect(typeof response.body.apiKey).toBe('string');
    expect(typeof response.body.shippingWebhookSecret).toBe('string');
    const store = await call('GET', '/v1/store', { token: response.body.apiKey as string });
    expect(store.status).toBe(200);
    expect(store.body).not.toHaveProperty('apiKey');
    expect(store.body).not.toHaveProperty('apiKeyHash');
    expect(store.body).not.toHaveProperty('shippingWebhookSecret');
  });

  it('defaults the timezone to UTC and the currency to usd', async () => {
    const response = await call('POST', '/admin/v1/stores', {
      token: inject('adminToken'),
      body: { name: 'Plain' },
    });
    expect(response.body).toMatchObject({ timezone: 'UTC', defaultCurrency: 'usd' });
  });

  it('refuses a missing or wrong admin token with 401', async () => {
    for (const token of [undefined, 'wrong', 'admin_tes']) {
      const response = await call('POST', '/admin/v1/stores', { token, body: { name: 'x' } });
      expect(problem(response)).toMatchObject({
        status: 401,
        code: 'unauthorized',
        contentType: 'application/problem+json',
      });
    }
  });

  it('validates the store body strictly, naming the field', async () => {
    const bad = await call('POST', '/admin/v1/stores', {
      token: inject('adminToken'),
      body: { name: 'x', timezone: 'Mars/Olympus' },
    });
    expect(problem(bad)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(bad).body.errors).toContainEqual(expect.objectContaining({ path: '/timezone' }));
    const unknown = await call('POST', '/admin/v1/stores', {
      token: inject('adminToken'),
      body: { name: 'x', plan: 'gold' },
    });
    expect(problem(unknown).body.errors).toEqual([{ path: '/plan', message: 'unknown property' }]);
  });

  it('refuses a missing, malformed or wrong store key with 401', async () => {
    const store = await createStore();
    for (const token of [
      undefined,
      'nope',
      `${store.apiKey}x`,
      store.apiKey.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
    ]) {
      expect(problem(await call('GET', '/v1/store', { token })).code).toBe('unauthorized');
    }
  });

  it('shows every setting with its default', async () => {
    const store = await createStore();
    const response = await store.call('GET', '/v1/store');
    expect(response.body.settings).toEqual({
      reservationMinutes: 30,
      shippingRates: [],
      taxRates: {},
      fulfilment: { shipWithinHours: 48 },
      fraud: {
        reviewScore: 50,
        rejectScore: 80,
        maxOrdersPerEmail: 5,
        maxOrdersPerIp: 10,
        maxOrdersPerCard: 5,
        velocityWindowHours: 24,
        largeFirstOrderAmount: 50000,
        highRiskCountries: [],
        reviewTimeoutHours: 72,
      },
    });
  });

  it('merges settings as a JSON merge patch; null resets to the default', async () => {
    const store = await createStore();
    const first = await store.call('PATCH', '/v1/store', {
      body: {
        timezone: 'America/Los_Angeles',
        settings: { fraud: { reviewScore: 40 }, taxRates: { 'US-CA': 0.0725, US: 0.05 } },
      },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      timezone: 'America/Los_Angeles',
      settings: { fraud: { reviewScore: 40, rejectScore: 80 } },
    });
    const second = await store.call('PATCH', '/v1/store', {
      body: { settings: { fraud: { reviewScore: null }, taxRates: { US: null } } },
    });
    expect(second.body).toMatchObject({
      settings: { fraud: { reviewScore: 50 }, taxRates: { 'US-CA': 0.0725 } },
    });
    expect((second.body.settings as { taxRates: object }).taxRates).not.toHaveProperty('US');
  });

  it('rejects an invalid merged result with 400 and leaves the settings unchanged', async () => {
    const store = await createStore();
    const response = await store.call('PATCH', '/v1/store', {
      body: { settings: { fraud: { reviewScore: 90 } } },
    });
    expect(problem(response)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(problem(response).body.errors).toContainEqual(
      expect.objectContaining({ path: '/settings/fraud/reviewScore' }),
    );
    const unknown = await store.call('PATCH', '/v1/store', { body: { settings: { reservationMinutes: 0 } } });
    expect(problem(unknown).body.errors).toContainEqual(
      expect.objectContaining({ path: '/settings/reservationMinutes' }),
    );
    const after = await store.call('GET', '/v1/store');
    expect(after.body.settings).toMatchObject({ reservationMinutes: 30, fraud: { reviewScore: 50 } });
  });
});
