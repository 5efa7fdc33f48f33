import * as z from 'zod/mini';
import { CountryCode, Currency, integer, lazySchema, MinorUnits, Timestamp, text } from './schemas.ts';
import { ShipmentView } from './shipment.ts';

export const Address = z.strictObject({
  name: z.optional(text(1, 200)),
  line1: text(1, 200),
  line2: z.optional(text(1, 200)),
  city: text(1, 100),
  state: z.optional(text(1, 100)),
  postalCode: text(1, 20),
  country: CountryCode,
});
export type Address = z.infer<typeof Address>;

export const Customer = z.strictObject({
  email: z.email().check(z.maxLength(254)),
  name: z.optional(text(1, 200)),
  phone: z.optional(text(3, 32)),
  type: z.enum(['b2c', 'b2b']),
  companyName: z.optional(text(1, 200)),
  taxId: z.optional(text(1, 64)),
  marketingConsent: z._default(z.boolean(), false),
});
export type Customer = z.infer<typeof Customer>;

export const Attribution = z.strictObject({
  channel: z.enum(['inbound', 'outbound']),
  source: z.optional(text(1, 100)),
  campaign: z.optional(text(1, 100)),
  salesRepId: z.optional(text(1, 100)),
  territory: z.optional(text(1, 100)),
});
export type Attribution = z.infer<typeof Attribution>;

export const OrderStatus = z.enum(['pending_payment', 'processing', 'on_hold', 'paid', 'cancelled']);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Stripe's refund statuses, in the order a refund can move through them (see `payments.ts`). */
export const refundStatuses = ['requires_action', 'pending', 'succeeded', 'canceled', 'failed'] as const;

/** Stripe's dispute statuses, open ones first, then the closed ones (see `payments.ts`). */
export const disputeStatuses = [
  'warning_needs_response',
  'warning_under_review',
  'needs_response',
  'under_review',
  'warning_closed',
  'prevented',
  'won',
  'lost',
] as const;

/**
 * The order's response shapes, built on first use: handlers never validate an order (they build
 * it), so only /openapi.json and tests construct these schemas.
 */
const orderSchemas = lazySchema(() => {
  const PaymentStatus = z.enum([
    'requires_payment',
    'authorized',
    'captured',
    'partially_refunded',
    'refunded',
    'cancelled',
    'disputed',
  ]);
  const FraudStatus = z.enum(['not_screened', 'pending', 'approved', 'review', 'rejected']);
  const FulfilmentStatus = z.enum(['unfulfilled', 'partially_shipped', 'shipped', 'delivered', 'exception']);

  const CancelReason = z.enum([
    'payment_expired',
    'fraud_rejected',
    'review_rejected',
    'review_timeout',
    'requested',
    'payment_canceled',
    'authorization_expired',
  ]);

  const OrderLine = z.object({
    sku: z.string(),
    name: z.string(),
    quantity: z.int(),
    unitAmount: MinorUnits,
    amount: MinorUnits,
    shippedQuantity: z.int(),
  });

  const OrderAmounts = z.object({
    subtotal: MinorUnits,
    discount: MinorUnits,
    shipping: MinorUnits,
    tax: MinorUnits,
    total: MinorUnits,
    captured: MinorUnits,
    refunded: MinorUnits,
  });

  const TimelineEntry = z.object({
    at: Timestamp,
    type: z.string(),
    detail: z.optional(z.string()),
  });

  /** One fraud rule that fired, with its points (contract section 6). */
  const FraudReason = z.object({ rule: z.string(), points: z.int(), detail: z.string() });

  /** The order's `fraud` field: the screening's or the reviewer's decision. */
  const FraudAssessment = z.object({
    decision: z.enum(['approve', 'review', 'reject']),
    score: integer(0, 100),
    reasons: z.array(FraudReason),
    decidedAt: Timestamp,
    decidedBy: z.enum(['rules', 'reviewer']),
  });

  /** Why an `on_hold` order waits: a fraud review, or a PaymentIntent that does not match the order. */
  const HoldReason = z.enum(['fraud_review', 'payment_mismatch']);

  const RefundStatus = z.enum(refundStatuses);

  const DisputeStatus = z.enum(disputeStatuses);

  /**
   * What is known about the order's payment, as facts that only accumulate (sets, earliest times,
   * statuses that only move forward). `payments.ts` merges events into them and derives `status`,
   * `paymentStatus`, `fraudStatus`, the captured and refunded amounts, `cancelReason` and the payment
   * entries of the timeline from them, so the order of Stripe's deliveries cannot matter.
   */
  const PaymentFacts = z.object({
    authorization: z.optional(z.object({ at: Timestamp, chargeId: z.optional(z.string()) })),
    /** Fields in which an authorised PaymentIntent differed from the order (`amount`, `metadata.orderId`…). */
    intentMismatches: z.array(z.string()),
    failedAttempts: z.array(z.object({ id: z.string(), at: Timestamp, code: z.optional(z.string()) })),
    capture: z.optional(z.object({ at: Timestamp, amount: MinorUnits })),
    intentCanceled: z.optional(z.object({ at: Timestamp, reason: z.optional(z.string()) })),
    /** A cancellation made outside the payment state machine (the store, the reservation sweeper). */
    orderCancelled: z.optional(
      z.object({ at: Timestamp, reason: CancelReason, detail: z.optional(z.string()) }),
    ),
    decisions: z.array(z.extend(FraudAssessment, { note: z.optional(z.string()) })),
    reviewTimedOutAt: z.optional(Timestamp),
    refunds: z.array(
      z.object({ id: z.string(), amount: MinorUnits, status: RefundStatus, created: Timestamp }),
    ),
    disputes: z.array(
      z.object({
        id: z.string(),
        amount: MinorUnits,
        status: DisputeStatus,
        created: Timestamp,
        /** When the current status was first observed. */
        statusAt: Timestamp,
      }),
    ),
    earlyFraudWarnings: z.array(z.object({ id: z.string(), actionable: z.boolean(), created: Timestamp })),
  });

  const Order = z.object({
    id: z.string(),
    status: OrderStatus,
    paymentStatus: PaymentStatus,
    fraudStatus: FraudStatus,
    fulfilmentStatus: FulfilmentStatus,
    currency: Currency,
    lines: z.array(OrderLine),
    amounts: OrderAmounts,
    customer: Customer,
    shippingAddress: Address,
    billingAddress: z.optional(Address),
    attribution: z.optional(Attribution),
    couponCode: z.optional(z.string()),
    clientIp: z.optional(z.string()),
    metadata: z.optional(z.record(z.string(), z.string())),
    payment: z.object({ provider: z.literal('stripe'), paymentIntentId: z.string() }),
    shipments: z.array(ShipmentView()),
    timeline: z.array(TimelineEntry),
    cancelReason: z.optional(CancelReason),
    fraud: z.optional(FraudAssessment),
    holdReason: z.optional(HoldReason),
    paymentFacts: z.optional(PaymentFacts),
    reservationExpiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  });
  return {
    PaymentStatus,
    FraudStatus,
    FulfilmentStatus,
    CancelReason,
    OrderLine,
    OrderAmounts,
    TimelineEntry,
    FraudReason,
    FraudAssessment,
    HoldReason,
    RefundStatus,
    DisputeStatus,
    PaymentFacts,
    Order,
  };
});
type OrderSchemas = ReturnType<typeof orderSchemas>;

export const Order = () => orderSchemas().Order;

/** The order as the API shows it: its payment facts are the state machine's bookkeeping. */
export const OrderView = lazySchema(() => z.omit(Order(), { paymentFacts: true }));
export type OrderView = Omit<Order, 'paymentFacts'>;

export function orderView(order: Order): OrderView {
  const { paymentFacts: _facts, ...view } = order;
  return view;
}

export function orderPageView<P extends { readonly data: readonly Order[] }>(page: P) {
  return { ...page, data: page.data.map(orderView) };
}
export type CancelReason = z.infer<OrderSchemas['CancelReason']>;
export type OrderLine = z.infer<OrderSchemas['OrderLine']>;
export type TimelineEntry = z.infer<OrderSchemas['TimelineEntry']>;
export type FraudReason = z.infer<OrderSchemas['FraudReason']>;
export type FraudAssessment = z.infer<OrderSchemas['FraudAssessment']>;
export type HoldReason = z.infer<OrderSchemas['HoldReason']>;
export type RefundStatus = z.infer<OrderSchemas['RefundStatus']>;
export type DisputeStatus = z.infer<OrderSchemas['DisputeStatus']>;
export type PaymentFacts = z.infer<OrderSchemas['PaymentFacts']>;
export type Order = z.infer<OrderSchemas['Order']>;

/** The statuses from which a store may cancel an order (contract section 5). */
export const cancellableStatuses: readonly OrderStatus[] = ['pending_payment', 'processing', 'on_hold'];

/** The cancelled order: status, reason and a timeline entry; stock release is the caller's write. */
export function cancelOrder(order: Order, reason: CancelReason, now: Date, note?: string): Order {
  const at = now.toISOString();
  const detail = note === undefined ? reason : `${reason}: ${note}`;
  return {
    ...order,
    status: 'cancelled',
    paymentStatus: order.paymentStatus === 'captured' ? order.paymentStatus : 'cancelled',
    cancelReason: reason,
    timeline: [...order.timeline, { at, type: 'cancelled', detail }],
    updatedAt: at,
  };
}

/** A new order as checkout creates it: priced, stock reserved, waiting for the shopper to pay. */
export function newOrder(input: {
  readonly id: string;
  readonly request: {
    readonly currency: string;
    readonly customer: Customer;
    readonly shippingAddress: Address;
    readonly billingAddress?: Address | undefined;
    readonly attribution?: Attribution | undefined;
    readonly couponCode?: string | undefined;
    readonly clientIp?: string | undefined;
    readonly metadata?: Record<string, string> | undefined;
  };
  readonly price: {
    readonly lines: readonly {
      sku: string;
      name: string;
      quantity: number;
      unitAmount: number;
      amount: number;
    }[];
    readonly subtotal: number;
    readonly discount: number;
    readonly shipping: number;
    readonly tax: number;
    readonly total: number;
  };
  readonly paymentIntentId: string;
  readonly reservationMinutes: number;
  readonly now: Date;
}): Order {
  const { request, price } = input;
  const at = input.now.toISOString();
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    id: input.id,
    status: 'pending_payment',
    paymentStatus: 'requires_payment',
    fraudStatus: 'not_screened',
    fulfilmentStatus: 'unfulfilled',
    currency: request.currency,
    lines: price.lines.map((line) => ({ ...line, shippedQuantity: 0 })),
    amounts: {
      subtotal: price.subtotal,
      discount: price.discount,
      shipping: price.shipping,
      tax: price.tax,
      total: price.total,
      captured: 0,
      refunded: 0,
    },
    customer: { ...request.customer, email: request.customer.email.trim() },
    shippingAddress: request.shippingAddress,
    ...optional('billingAddress', request.billingAddress),
    ...optional('attribution', request.attribution),
    ...optional('couponCode', request.couponCode),
    ...optional('clientIp', request.clientIp),
    ...optional('metadata', request.metadata),
    payment: { provider: 'stripe', paymentIntentId: input.paymentIntentId },
    shipments: [],
    timeline: [{ at, type: 'created' }],
    reservationExpiresAt: new Date(input.now.getTime() + input.reservationMinutes * 60_000).toISOString(),
    createdAt: at,
    updatedAt: at,
  };
}
