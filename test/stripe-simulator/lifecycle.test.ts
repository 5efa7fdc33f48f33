import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allEvents,
  authorisedPayment,
  eventsOfType,
  latestCharge,
  type SimulatorWithClient,
  startSimulatorWithClient,
  stripeErrorOf,
} from './helpers.ts';

let context: SimulatorWithClient;
let stripe: Stripe;

beforeAll(async () => {
  context = await startSimulatorWithClient();
  stripe = context.stripe;
});
afterAll(() => context.simulator.close());

describe('PaymentIntent lifecycle', () => {
  it('authorises a manual-capture payment with pm_card_visa, then captures it', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      capture_method: 'manual',
      metadata: { orderId: 'ord_1', storeId: 'str_1' },
      description: 'Order ord_1',
    });
    expect(created).toMatchObject({
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 2500,
      currency: 'usd',
      capture_method: 'manual',
      metadata: { orderId: 'ord_1', storeId: 'str_1' },
      latest_charge: null,
      livemode: false,
    });
    expect(created.id).toMatch(/^pi_/);
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_\\w+$`));

    const authorised = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(authorised).toMatchObject({
      status: 'requires_capture',
      amount_capturable: 2500,
      amount_received: 0,
    });
    const authorisation = await latestCharge(stripe, authorised);
    expect(authorisation).toMatchObject({
      status: 'succeeded',
      paid: true,
      captured: false,
      amount_captured: 0,
      payment_intent: created.id,
      outcome: { risk_level: 'normal', type: 'authorized' },
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', country: 'US' } },
    });

    const captured = await stripe.paymentIntents.capture(created.id);
    expect(captured).toMatchObject({ status: 'succeeded', amount_capturable: 0, amount_received: 2500 });
    expect(await latestCharge(stripe, captured)).toMatchObject({
      id: authorisation.id,
      captured: true,
      amount_captured: 2500,
      amount_refunded: 0,
      refunded: false,
      disputed: false,
    });
  });

  it('captures part of an authorisation with amount_to_capture', async () => {
    const authorised = await authorisedPayment(stripe, 'pm_card_visa', 1000);
    const captured = await stripe.paymentIntents.capture(authorised.id, { amount_to_capture: 600 });
    expect(captured.amount_received).toBe(600);
    expect((await latestCharge(stripe, captured)).amount_captured).toBe(600);

    const tooMuch = await authorisedPayment(stripe, 'pm_card_visa', 1000);
    const error = await stripeErrorOf(stripe.paymentIntents.capture(tooMuch.id, { amount_to_capture: 1001 }));
    expect(error).toMatchObject({ statusCode: 400, param: 'amount_to_capture' });
  });

  it('succeeds at once with automatic capture (the default)', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'eur',
      automatic_payment_methods: { enabled: true },
    });
    expect(created.capture_method).toBe('automatic_async');
    expect(created.automatic_payment_methods?.enabled).toBe(true);
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 700 });
    expect(await latestCharge(stripe, confirmed)).toMatchObject({ captured: true, amount_captured: 700 });
  });

  it('declines pm_card_chargeDeclined, then authorises a retry', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      capture_method: 'manual',
    });

    const decline = await stripeErrorOf(
      stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_chargeDeclined' }),
    );
    expect(decline).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(decline).toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    expect(decline.payment_intent?.status).toBe('requires_payment_method');

    const failed = await stripe.paymentIntents.retrieve(created.id);
    expect(failed).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: { type: 'card_error', code: 'card_declined' },
    });
    const failedCharge = await latestCharge(stripe, failed);
    expect(failedCharge).toMatchObject({ status: 'failed', paid: false, failure_code: 'card_declined' });
    expect(decline.charge).toBe(failedCharge.id);

    const retried = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(retried).toMatchObject({ status: 'requires_capture', last_payment_error: null });
    expect(retried.latest_charge).not.toBe(failedCharge.id);

    const events = await allEvents(stripe);
    const failures = eventsOfType(events, 'payment_intent.payment_failed').filter(
      (e) => e.data.object.id === created.id,
    );
    expect(failures).toHaveLength(1);
    expect(eventsOfType(events, 'charge.failed').map((e) => e.data.object.id)).toContain(failedCharge.id);
  });

  it('reports the Radar risk level of each test card, with stable fingerprints', async () => {
    const riskOf = async (paymentMethod: string) =>
      (await latestCharge(stripe, await authorisedPayment(stripe, paymentMethod))).outcome;
    expect((await riskOf('pm_card_riskLevelElevated'))?.risk_level).toBe('elevated');
    expect((await riskOf('pm_card_riskLevelHighest'))?.risk_level).toBe('highest');

    const fingerprint = async (paymentMethod: string) =>
      (await latestCharge(stripe, await authorisedPayment(stripe, paymentMethod))).payment_method_details
        ?.card?.fingerprint;
    const visa = await fingerprint('pm_card_visa');
    expect(visa).toEqual(expect.any(String));
    expect(await fingerprint('pm_card_visa')).toBe(visa);
    expect(await fingerprint('pm_card_createDispute')).not.toBe(visa);
  });

  it('cancels an authorisation without creating a refund, and refuses to cancel twice', async () => {
    const authorised = await authorisedPayment(stripe);
    const canceled = await stripe.paymentIntents.cancel(authorised.id, { cancellation_reason: 'fraudulent' });
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'fraudulent',
      amount_capturable: 0,
    });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    expect((await stripe.refunds.list({ payment_intent: authorised.id })).data).toEqual([]);

    const again = await stripeErrorOf(stripe.paymentIntents.cancel(authorised.id));
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(again).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'payment_intent_unexpected_state',
    });
    expect((again.raw as { type: string }).type).toBe('invalid_request_error');
    expect(again.payment_intent?.status).toBe('canceled');
  });

  it('answers payment_intent_unexpected_state for captures and confirmations in the wrong state', async () => {
    const fresh = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      capture_method: 'manual',
    });
    expect(await stripeErrorOf(stripe.paymentIntents.capture(fresh.id))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    const authorised = await stripe.paymentIntents.confirm(fresh.id, { payment_method: 'pm_card_visa' });
    expect(
      await stripeErrorOf(stripe.paymentIntents.confirm(authorised.id, { payment_method: 'pm_card_visa' })),
    ).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('rejects unknown payment methods, unknown parameters and unknown ids as Stripe does', async () => {
    const created = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' });
    expect(
      await stripeErrorOf(stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_bogus' })),
    ).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'payment_method',
    });
    expect(
      await stripeErrorOf(
        stripe.rawRequest('POST', '/v1/payment_intents', { amount: 100, currency: 'usd', colour: 'red' }),
      ),
    ).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
    expect(
      await stripeErrorOf(stripe.paymentIntents.create({ amount: 100 } as Stripe.PaymentIntentCreateParams)),
    ).toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'currency',
    });
    expect(await stripeErrorOf(stripe.paymentIntents.retrieve('pi_missing'))).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });
});

describe('refunds', () => {
  it('refunds part, then the rest, and refuses more than remains', async () => {
    const paid = await stripe.paymentIntents.capture(
      (await authorisedPayment(stripe, 'pm_card_visa', 1000)).id,
    );
    const chargeId = (await latestCharge(stripe, paid)).id;

    const partial = await stripe.refunds.create({
      payment_intent: paid.id,
      amount: 300,
      reason: 'requested_by_customer',
      metadata: { orderId: 'ord_test' },
    });
    expect(partial).toMatchObject({
      object: 'refund',
      amount: 300,
      charge: chargeId,
      payment_intent: paid.id,
      status: 'succeeded',
      reason: 'requested_by_customer',
      metadata: { orderId: 'ord_test' },
    });
    expect(partial.id).toMatch(/^re_/);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 300, refunded: false });

    const overRefund = await stripeErrorOf(stripe.refunds.create({ charge: chargeId, amount: 701 }));
    expect(overRefund).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(overRefund).toMatchObject({ statusCode: 400, param: 'amount', code: 'amount_too_large' });
    expect(overRefund.message).toContain('$7.00');

    const rest = await stripe.refunds.create({ charge: chargeId });
    expect(rest.amount).toBe(700);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 1000, refunded: true });

    const listed = await stripe.refunds.list({ charge: chargeId });
    expect(listed.data.map((refund) => refund.id)).toEqual([rest.id, partial.id]);
    expect(await stripe.refunds.retrieve(partial.id)).toEqual(partial);
    expect(await stripeErrorOf(stripe.refunds.create({ charge: chargeId, amount: 1 }))).toMatchObject({
      code: 'charge_already_refunded',
    });

    const events = await allEvents(stripe);
    expect(eventsOfType(events, 'refund.created').map((e) => e.data.object.id)).toEqual(
      expect.arrayContaining([partial.id, rest.id]),
    );
    const chargeRefunded = eventsOfType(events, 'charge.refunded').filter(
      (e) => e.data.object.id === chargeId,
    );
    expect(chargeRefunded.map((e) => e.data.object.amount_refunded)).toEqual([300, 1000]);
  });

  it('refuses to refund an uncaptured payment', async () => {
    const authorised = await authorisedPayment(stripe);
    expect(await stripeErrorOf(stripe.refunds.create({ payment_intent: authorised.id }))).toMatchObject({
      statusCode: 400,
      code: 'charge_not_refundable',
    });
  });
});

describe('disputes and early fraud warnings', () => {
  it('opens a dispute once a pm_card_createDispute payment is captured, and closes it', async () => {
    const authorised = await authorisedPayment(stripe, 'pm_card_createDispute');
    expect((await stripe.disputes.list({ payment_intent: authorised.id })).data).toEqual([]);

    const captured = await stripe.paymentIntents.capture(authorised.id);
    const charge = await latestCharge(stripe, captured);
    expect(charge.disputed).toBe(true);
    const [dispute, ...others] = (await stripe.disputes.list({ payment_intent: captured.id })).data;
    expect(others).toEqual([]);
    expect(dispute).toMatchObject({
      object: 'dispute',
      status: 'needs_response',
      charge: charge.id,
      payment_intent: captured.id,
      amount: 1000,
      reason: 'fraudulent',
    });
    if (dispute === undefined) throw new Error('no dispute');
    expect(dispute.id).toMatch(/^dp_/);
    expect(await stripeErrorOf(stripe.refunds.create({ charge: charge.id }))).toMatchObject({
      code: 'charge_disputed',
    });

    await context.simulator.closeDispute(dispute.id, 'won');
    expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('won');
    await expect(context.simulator.closeDispute(dispute.id, 'lost')).rejects.toThrow(/already closed/);

    const events = await allEvents(stripe);
    const created = eventsOfType(events, 'charge.dispute.created').find(
      (e) => e.data.object.id === dispute.id,
    );
    expect(created?.data.object.status).toBe('needs_response');
    expect(created?.request).toEqual({ id: null, idempotency_key: null });
    const closed = eventsOfType(events, 'charge.dispute.closed').filter(
      (e) => e.data.object.id === dispute.id,
    );
    expect(closed.map((e) => e.data.object.status)).toEqual(['won']);
  });

  it('marks a dispute lost when the merchant closes it through the API', async () => {
    const captured = await stripe.paymentIntents.capture(
      (await authorisedPayment(stripe, 'pm_card_createDispute')).id,
    );
    const [dispute] = (await stripe.disputes.list({ payment_intent: captured.id })).data;
    if (dispute === undefined) throw new Error('no dispute');
    expect((await stripe.disputes.close(dispute.id)).status).toBe('lost');
  });

  it('raises an early fraud warning on a charge', async () => {
    const captured = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
    const charge = await latestCharge(stripe, captured);
    await context.simulator.createEarlyFraudWarning(charge.id, true);

    const [warning] = (await stripe.radar.earlyFraudWarnings.list({ charge: charge.id })).data;
    expect(warning).toMatchObject({
      object: 'radar.early_fraud_warning',
      actionable: true,
      charge: charge.id,
      payment_intent: captured.id,
      livemode: false,
    });
    expect(warning?.id).toMatch(/^issfr_/);
    const events = eventsOfType(await allEvents(stripe), 'radar.early_fraud_warning.created');
    expect(events.map((event) => event.data.object)).toContainEqual(warning);
    await expect(context.simulator.createEarlyFraudWarning('ch_missing', false)).rejects.toThrow(
      /No such charge/,
    );
  });
});

describe('creating with a payment method', () => {
  it('waits for confirmation, or confirms at once with confirm: true', async () => {
    const pending = await stripe.paymentIntents.create({
      amount: 800,
      currency: 'usd',
      payment_method: 'pm_card_visa',
    });
    expect(pending.status).toBe('requires_confirmation');
    expect(pending.payment_method).toMatch(/^pm_/);
    expect((await stripe.paymentIntents.confirm(pending.id)).status).toBe('succeeded');

    const confirmed = await stripe.paymentIntents.create({
      amount: 800,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_riskLevelElevated',
      confirm: true,
    });
    expect(confirmed.status).toBe('requires_capture');
    expect((await latestCharge(stripe, confirmed)).outcome?.risk_level).toBe('elevated');
  });
});
