/** A captured order to ship: two units of `A` and one of `B`, paid at 2026-11-28T11:00Z. */
import { newOrder, type Order } from '../../functions/domain/order.ts';
import { emptyPaymentFacts } from '../../functions/domain/payments.ts';

export const capturedAt = '2026-11-28T11:00:00.000Z';

export function paidOrder(): Order {
  const placed = newOrder({
    id: 'ord_ship',
    request: {
      currency: 'usd',
      customer: { email: 'ada@example.com', type: 'b2c', marketingConsent: false },
      shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    },
    price: {
      lines: [
        { sku: 'A', name: 'A', quantity: 2, unitAmount: 1000, amount: 2000 },
        { sku: 'B', name: 'B', quantity: 1, unitAmount: 500, amount: 500 },
      ],
      subtotal: 2500,
      discount: 0,
      shipping: 0,
      tax: 0,
      total: 2500,
    },
    paymentIntentId: 'pi_ship',
    reservationMinutes: 30,
    now: new Date('2026-11-28T10:00:00.000Z'),
  });
  return {
    ...placed,
    status: 'paid',
    paymentStatus: 'captured',
    fraudStatus: 'approved',
    amounts: { ...placed.amounts, captured: 2500 },
    paymentFacts: { ...emptyPaymentFacts(), capture: { at: capturedAt, amount: 2500 } },
  };
}
