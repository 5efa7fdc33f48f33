import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allEvents,
  authorisedPayment,
  rawCall,
  SECRET_KEY,
  type SimulatorWithClient,
  startSimulatorWithClient,
  stripeErrorOf,
} from './helpers.ts';

const started: SimulatorWithClient[] = [];
afterEach(async () => {
  for (const { simulator } of started.splice(0)) await simulator.close();
});

async function setUp(
  options: Parameters<typeof startSimulatorWithClient>[0] = {},
): Promise<SimulatorWithClient> {
  const context = await startSimulatorWithClient(options);
  started.push(context);
  return context;
}

const replayed = (response: { lastResponse: { headers: Record<string, string> } }): string | undefined =>
  response.lastResponse.headers['idempotent-replayed'];

const params: Stripe.PaymentIntentCreateParams = {
  amount: 1200,
  currency: 'usd',
  capture_method: 'manual',
  metadata: { orderId: 'ord_idem' },
};

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and parameters', async () => {
    const { stripe } = await setUp();
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-ord_idem' });
    const second = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-ord_idem' });

    expect(second).toEqual(first);
    expect(replayed(first)).toBeUndefined();
    expect(replayed(second)).toBe('true');
    expect((await stripe.paymentIntents.list()).data.map((intent) => intent.id)).toEqual([first.id]);
    expect((await allEvents(stripe)).map((event) => event.type)).toEqual(['payment_intent.created']);
  });

  it('replays byte for byte, with the original status', async () => {
    const { simulator } = await setUp();
    const request = {
      form: { amount: '900', currency: 'usd', 'metadata[orderId]': 'ord_raw' },
      headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Idempotency-Key': 'raw-key' },
    };
    const first = await rawCall(simulator, 'POST', '/v1/payment_intents', request);
    const second = await rawCall(simulator, 'POST', '/v1/payment_intents', request);
    expect(second.status).toBe(first.status);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('original-request')).toBe(first.headers.get('request-id'));
    expect(second.headers.get('request-id')).not.toBe(first.headers.get('request-id'));
  });

  it('answers idempotency_error for the same key with other parameters or another endpoint', async () => {
    const { stripe } = await setUp();
    await stripe.paymentIntents.create(params, { idempotencyKey: 'reused' });

    const otherParameters = await stripeErrorOf(
      stripe.paymentIntents.create({ ...params, amount: 1300 }, { idempotencyKey: 'reused' }),
    );
    expect(otherParameters).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(otherParameters).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });

    const otherEndpoint = await stripeErrorOf(
      stripe.refunds.create({ payment_intent: 'pi_x' }, { idempotencyKey: 'reused' }),
    );
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('replays an error response too', async () => {
    const { stripe } = await setUp();
    const paid = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
    const overRefund = { payment_intent: paid.id, amount: 5000 };

    const first = await stripeErrorOf(stripe.refunds.create(overRefund, { idempotencyKey: 'refund-1' }));
    const second = await stripeErrorOf(stripe.refunds.create(overRefund, { idempotencyKey: 'refund-1' }));
    expect(first).toMatchObject({ statusCode: 400, code: 'amount_too_large' });
    expect(second).toMatchObject({ statusCode: 400, code: 'amount_too_large', message: first.message });
    expect(second.headers?.['idempotent-replayed']).toBe('true');
  });

  it('does not keep a request whose parameters were malformed, as Stripe', async () => {
    const { stripe } = await setUp();
    const malformed = { amount: 1200 } as Stripe.PaymentIntentCreateParams;
    expect(
      await stripeErrorOf(stripe.paymentIntents.create(malformed, { idempotencyKey: 'fix-me' })),
    ).toMatchObject({
      code: 'parameter_missing',
    });
    const fixed = await stripe.paymentIntents.create(params, { idempotencyKey: 'fix-me' });
    expect(fixed.status).toBe('requires_payment_method');
    expect(replayed(fixed)).toBeUndefined();
  });

  it('forgets keys after 24 hours by the simulator clock', async () => {
    let now = new Date('2026-11-28T10:00:00.000Z');
    const { stripe } = await setUp({ now: () => now });
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'daily' });
    expect(first.created).toBe(Date.parse('2026-11-28T10:00:00.000Z') / 1000);

    now = new Date('2026-11-29T09:59:59.000Z');
    expect(replayed(await stripe.paymentIntents.create(params, { idempotencyKey: 'daily' }))).toBe('true');

    now = new Date('2026-11-29T10:00:01.000Z');
    const later = await stripe.paymentIntents.create({ ...params, amount: 1 }, { idempotencyKey: 'daily' });
    expect(later.id).not.toBe(first.id);
    expect(replayed(later)).toBeUndefined();
  });

  it('uses a key on POST only', async () => {
    const { simulator, stripe } = await setUp();
    const created = await stripe.paymentIntents.create(params, { idempotencyKey: 'post-only' });
    const read = await rawCall(simulator, 'GET', `/v1/payment_intents/${created.id}`, {
      headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Idempotency-Key': 'post-only' },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('injected faults', () => {
  it('answers 500 api_error, replays it under its key, and lets a new key through', async () => {
    const { simulator, stripe } = await setUp();
    simulator.injectFaults({ mode: 'error', count: 1 });

    const failure = await stripeErrorOf(stripe.paymentIntents.create(params, { idempotencyKey: 'k-500' }));
    expect(failure).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(failure).toMatchObject({ statusCode: 500, rawType: 'api_error' });

    const replay = await stripeErrorOf(stripe.paymentIntents.create(params, { idempotencyKey: 'k-500' }));
    expect(replay).toMatchObject({ statusCode: 500, rawType: 'api_error' });
    expect(replay.headers?.['idempotent-replayed']).toBe('true');

    const fresh = await stripe.paymentIntents.create(params, { idempotencyKey: 'k-new' });
    expect(fresh.status).toBe('requires_payment_method');
    expect(simulator.requestLog().map((entry) => entry.idempotencyKey)).toEqual(['k-500', 'k-500', 'k-new']);
    expect((await stripe.paymentIntents.list()).data.map((intent) => intent.id)).toEqual([fresh.id]);
  });

  it('fails the next `count` requests, whatever they are', async () => {
    const { simulator, stripe } = await setUp();
    const created = await stripe.paymentIntents.create(params);
    simulator.injectFaults({ mode: 'error', count: 2 });
    expect((await stripeErrorOf(stripe.paymentIntents.retrieve(created.id))).statusCode).toBe(500);
    expect(
      (await stripeErrorOf(stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' })))
        .statusCode,
    ).toBe(500);
    expect((await stripe.paymentIntents.retrieve(created.id)).status).toBe('requires_payment_method');
  });

  it('refuses connections: the SDK reports a StripeConnectionError and nothing happens', async () => {
    const { simulator, stripe } = await setUp();
    // The SDK repeats a reset request once by itself, even with maxNetworkRetries: 0.
    simulator.injectFaults({ mode: 'refuse', count: 2 });

    const refused = await stripeErrorOf(
      stripe.paymentIntents.create(params, { idempotencyKey: 'k-refused' }),
    );
    expect(refused).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(simulator.requestLog()).toEqual([
      { method: 'POST', path: '/v1/payment_intents', idempotencyKey: 'k-refused' },
      { method: 'POST', path: '/v1/payment_intents', idempotencyKey: 'k-refused' },
    ]);
    expect((await stripe.paymentIntents.list()).data).toEqual([]);

    const retried = await stripe.paymentIntents.create(params, { idempotencyKey: 'k-refused' });
    expect(retried.status).toBe('requires_payment_method');
    expect(replayed(retried)).toBeUndefined();
  });

  it('lets the SDK reconnect after a single refusal', async () => {
    const { simulator, stripe } = await setUp();
    simulator.injectFaults({ mode: 'refuse', count: 1 });
    expect((await stripe.paymentIntents.list()).object).toBe('list');
    expect(simulator.requestLog()).toHaveLength(2);
  });

  it('targets only requests whose body contains `bodyIncludes`', async () => {
    const { simulator, stripe } = await setUp();
    simulator.injectFaults({ mode: 'error', count: 1, bodyIncludes: 'metadata[storeId]=str_target' });

    const other = await stripe.paymentIntents.create({ ...params, metadata: { storeId: 'str_other' } });
    expect(other.status).toBe('requires_payment_method');
    const targeted = stripe.paymentIntents.create({ ...params, metadata: { storeId: 'str_target' } });
    expect((await stripeErrorOf(targeted)).statusCode).toBe(500);
    expect(
      (await stripe.paymentIntents.create({ ...params, metadata: { storeId: 'str_target' } })).status,
    ).toBe('requires_payment_method');
  });

  it('offers the controls over HTTP as well', async () => {
    const { simulator, stripe } = await setUp();
    expect(
      (await rawCall(simulator, 'POST', '/_simulator/faults', { json: { mode: 'error', count: 1 } })).status,
    ).toBe(200);
    expect((await stripeErrorOf(stripe.paymentIntents.list())).statusCode).toBe(500);

    const log = await rawCall(simulator, 'GET', '/_simulator/requests');
    expect(log.json).toEqual({ data: [{ method: 'GET', path: '/v1/payment_intents' }] });
    expect((await rawCall(simulator, 'DELETE', '/_simulator/requests')).status).toBe(200);
    expect(simulator.requestLog()).toEqual([]);

    expect(
      (await rawCall(simulator, 'POST', '/_simulator/faults', { json: { mode: 'sometimes', count: 1 } }))
        .status,
    ).toBe(400);
    expect(
      (await rawCall(simulator, 'POST', '/_simulator/faults', { json: { mode: 'error', count: -1 } })).status,
    ).toBe(400);
    const targeted = { mode: 'error', count: 1, bodyIncludes: 'str_elsewhere' };
    expect((await rawCall(simulator, 'POST', '/_simulator/faults', { json: targeted })).status).toBe(200);
    expect((await stripe.paymentIntents.list()).object).toBe('list');
    expect((await rawCall(simulator, 'POST', '/_simulator/nothing')).status).toBe(404);
  });
});
