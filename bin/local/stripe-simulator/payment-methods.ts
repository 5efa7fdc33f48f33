/**
 * Stripe's test payment methods that the simulator understands (contract section 10).
 * Each has a stable card fingerprint, so fraud rules keyed on the card (velocity, prior disputes)
 * can be exercised; the card numbers behind them are Stripe's published test cards.
 */
export interface TestCard {
  readonly token: TestPaymentMethodToken;
  readonly brand: 'visa';
  readonly last4: string;
  readonly country: string;
  readonly fingerprint: string;
  readonly funding: 'credit';
  readonly expMonth: number;
  readonly expYear: number;
  readonly result: 'authorised' | 'declined';
  readonly riskLevel: 'normal' | 'elevated' | 'highest';
  readonly riskScore: number;
  /** A `charge.dispute.created` follows once the charge is captured. */
  readonly disputeAfterCapture: boolean;
}

export const TEST_PAYMENT_METHOD_TOKENS = [
  'pm_card_visa',
  'pm_card_chargeDeclined',
  'pm_card_riskLevelElevated',
  'pm_card_riskLevelHighest',
  'pm_card_createDispute',
] as const;
export type TestPaymentMethodToken = (typeof TEST_PAYMENT_METHOD_TOKENS)[number];

const card = (
  token: TestPaymentMethodToken,
  last4: string,
  fingerprint: string,
  behaviour: Pick<TestCard, 'result' | 'riskLevel' | 'riskScore' | 'disputeAfterCapture'>,
): TestCard => ({
  token,
  brand: 'visa',
  last4,
  country: 'US',
  fingerprint,
  funding: 'credit',
  expMonth: 12,
  expYear: 2034,
  ...behaviour,
});

const TEST_CARDS: Readonly<Record<TestPaymentMethodToken, TestCard>> = {
  pm_card_visa: card('pm_card_visa', '4242', 'SimVisa4242fp001', {
    result: 'authorised',
    riskLevel: 'normal',
    riskScore: 24,
    disputeAfterCapture: false,
  }),
  pm_card_chargeDeclined: card('pm_card_chargeDeclined', '0002', 'SimDecl0002fp002', {
    result: 'declined',
    riskLevel: 'normal',
    riskScore: 31,
    disputeAfterCapture: false,
  }),
  pm_card_riskLevelElevated: card('pm_card_riskLevelElevated', '9235', 'SimElev9235fp003', {
    result: 'authorised',
    riskLevel: 'elevated',
    riskScore: 72,
    disputeAfterCapture: false,
  }),
  // Real Stripe's default Radar rules block this card; the simulator authorises it so the
  // backend's own `stripe_risk` rule can be exercised (contract section 6).
  pm_card_riskLevelHighest: card('pm_card_riskLevelHighest', '4954', 'SimHigh4954fp004', {
    result: 'authorised',
    riskLevel: 'highest',
    riskScore: 93,
    disputeAfterCapture: false,
  }),
  pm_card_createDispute: card('pm_card_createDispute', '0259', 'SimDisp0259fp005', {
    result: 'authorised',
    riskLevel: 'normal',
    riskScore: 18,
    disputeAfterCapture: true,
  }),
};

export function findTestCard(token: string): TestCard | undefined {
  const known = TEST_PAYMENT_METHOD_TOKENS.find((candidate) => candidate === token);
  return known === undefined ? undefined : TEST_CARDS[known];
}
