import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allEvents,
  authorisedPayment,
  latestCharge,
  rawCall,
  SECRET_KEY,
  type SimulatorWithClient,
  sdkFor,
  startSimulatorWithClient,
  stripeErrorOf,
  WebhookReceiver,
} from './helpers.ts';

let context: SimulatorWithClient;
let stripe: Stripe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  context = await startSimulatorWithClient({ webhookUrl: receiver.url });
  stripe = context.stripe;
});
afterAll(async () => {
  await context.simulator.close();
  await receiver.close();
});

describe('authentication', () => {
  it('accepts any sk_test_ key and refuses others with 401', async () => {
    expect((await sdkFor(context.simulator, 'sk_test_another').paymentIntents.list()).object).toBe('list');

    const live = await stripeErrorOf(
      sdkFor(context.simulator, 'sk_live_0123456789abcdef').paymentIntents.list(),
    );
    expect(live).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(live.statusCode).toBe(401);
    expect(live.message).not.toContain('0123456789ab');

    const missing = await rawCall(context.simulator, 'GET', '/v1/payment_intents');
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('accepts a secret key as Basic user, as curl -u sends it', async () => {
    const basic = Buffer.from(`${SECRET_KEY}:`).toString('base64');
    const listed = await rawCall(context.simulator, 'GET', '/v1/charges', {
      headers: { Authorization: `Basic ${basic}` },
    });
    expect(listed.status).toBe(200);
  });

  it('lets a publishable key reach only the client-secret endpoints', async () => {
    const denied = await rawCall(context.simulator, 'POST', '/v1/payment_intents', {
      form: { amount: '100', currency: 'usd' },
      headers: { Authorization: 'Bearer pk_test_shop' },
    });
    expect(denied.status).toBe(401);
  });
});

describe("a shopper's confirmation with the client secret (contract section 10)", () => {
  it('confirms with form fields client_secret and payment_method, without a secret key', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 3100,
      currency: 'usd',
      capture_method: 'manual',
    });
    const confirmed = await rawCall(context.simulator, 'POST', `/v1/payment_intents/${created.id}/confirm`, {
      form: { client_secret: created.client_secret ?? '', payment_method: 'pm_card_visa' },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json).toMatchObject({ id: created.id, status: 'requires_capture' });
    expect(confirmed.json).not.toHaveProperty('metadata');

    const seen = await rawCall(
      context.simulator,
      'GET',
      `/v1/payment_intents/${created.id}?client_secret=${created.client_secret ?? ''}`,
    );
    const charge = await latestCharge(stripe, await stripe.paymentIntents.retrieve(created.id));
    expect(seen.json).toMatchObject({ status: 'requires_capture', latest_charge: charge.id });
  });

  it('confirms as Stripe.js does, with the publishable key in the body and extra fields', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      capture_method: 'manual',
    });
    const confirmed = await rawCall(context.simulator, 'POST', `/v1/payment_intents/${created.id}/confirm`, {
      form: {
        key: 'pk_test_shop',
        client_secret: created.client_secret ?? '',
        payment_method: 'pm_card_riskLevelElevated',
        use_stripe_sdk: 'true',
        payment_user_agent: 'stripe.js/abc',
      },
    });
    expect(confirmed.json).toMatchObject({ status: 'requires_capture' });
  });

  it('refuses a wrong client secret, or none', async () => {
    const created = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    const wrong = await rawCall(context.simulator, 'POST', `/v1/payment_intents/${created.id}/confirm`, {
      form: { client_secret: `${created.id}_secret_wrong`, payment_method: 'pm_card_visa' },
    });
    expect(wrong.status).toBe(400);
    const none = await rawCall(context.simulator, 'GET', `/v1/payment_intents/${created.id}`);
    expect(none.status).toBe(401);
    expect((await stripe.paymentIntents.retrieve(created.id)).status).toBe('requires_payment_method');
  });
});

describe('routing', () => {
  it("answers unknown routes with Stripe's 404 shape", async () => {
    const error = await stripeErrorOf(stripe.rawRequest('GET', '/v1/customers_of_mars', {}));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(error.message).toContain('Unrecognized request URL');
  });

  it('takes the payment method types of the pinned version and of earlier ones', async () => {
    const legacy = (await stripe.rawRequest('POST', '/v1/payment_intents', {
      amount: 100,
      currency: 'usd',
      payment_method_types: ['card'],
    })) as Stripe.PaymentIntent;
    expect(legacy).toMatchObject({ payment_method_types: ['card'], automatic_payment_methods: null });

    const excluded = await stripe.paymentIntents.create({
      amount: 100,
      currency: 'usd',
      excluded_payment_method_types: ['klarna'],
    });
    expect(excluded).toMatchObject({
      excluded_payment_method_types: ['klarna'],
      automatic_payment_methods: { enabled: true },
    });

    const both = stripe.paymentIntents.create({
      amount: 100,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      automatic_payment_methods: { enabled: true },
    });
    expect(await stripeErrorOf(both)).toMatchObject({ statusCode: 400, code: 'parameters_exclusive' });
    const noCard = stripe.paymentIntents.create({
      amount: 100,
      currency: 'usd',
      allowed_payment_method_types: ['ideal'],
    });
    expect((await stripeErrorOf(noCard)).statusCode).toBe(400);
  });

  it('updates metadata as Stripe: an empty value removes a key', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      metadata: { keep: '1', drop: '2' },
    });
    const updated = await stripe.paymentIntents.update(created.id, {
      metadata: { drop: '', add: '3' },
      amount: 600,
    });
    expect(updated).toMatchObject({ amount: 600, metadata: { keep: '1', add: '3' } });
    expect(updated.metadata).not.toHaveProperty('drop');
  });
});

describe('simulator controls over HTTP', () => {
  it('closes disputes, raises early fraud warnings and redelivers events', async () => {
    const captured = await stripe.paymentIntents.capture(
      (await authorisedPayment(stripe, 'pm_card_createDispute')).id,
    );
    const charge = await latestCharge(stripe, captured);
    const [dispute] = (await stripe.disputes.list({ charge: charge.id })).data;
    if (dispute === undefined) throw new Error('no dispute');

    const close = await rawCall(context.simulator, 'POST', `/_simulator/disputes/${dispute.id}/close`, {
      json: { outcome: 'lost' },
    });
    expect(close.status).toBe(200);
    expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('lost');

    const warn = await rawCall(
      context.simulator,
      'POST',
      `/_simulator/charges/${charge.id}/early_fraud_warnings`,
      {
        json: { actionable: true },
      },
    );
    expect(warn.status).toBe(200);
    expect((await stripe.radar.earlyFraudWarnings.list({ charge: charge.id })).data).toHaveLength(1);

    await context.simulator.webhooksIdle();
    const [latest] = (await allEvents(stripe)).reverse();
    if (latest === undefined) throw new Error('no event');
    const before = receiver.eventIds().filter((id) => id === latest.id).length;
    const redeliver = await rawCall(context.simulator, 'POST', `/_simulator/events/${latest.id}/redeliver`);
    expect(redeliver.status).toBe(200);
    expect(receiver.eventIds().filter((id) => id === latest.id)).toHaveLength(before + 1);

    expect(
      (await rawCall(context.simulator, 'POST', '/_simulator/events/evt_missing/redeliver')).status,
    ).toBe(404);
    expect(
      (
        await rawCall(context.simulator, 'POST', `/_simulator/disputes/${dispute.id}/close`, {
          json: { outcome: 'maybe' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await rawCall(context.simulator, 'POST', '/_simulator/charges/ch_missing/early_fraud_warnings', {
          json: { actionable: false },
        })
      ).status,
    ).toBe(404);
  });
});
