import * as z from 'zod/mini';
import { CouponCode, Sku } from './catalog.ts';
import { Address, Attribution, Customer } from './order.ts';
import { Currency, integer, text } from './schemas.ts';

export const CheckoutItem = z.strictObject({
  sku: Sku,
  quantity: integer(1, 999),
});

/** `POST /v1/checkouts`; strict, so a client-sent price is rejected rather than ignored. */
export const CheckoutRequest = z
  .strictObject({
    currency: Currency,
    items: z.array(CheckoutItem).check(z.minLength(1), z.maxLength(50)),
    customer: Customer,
    shippingAddress: Address,
    billingAddress: z.optional(Address),
    couponCode: z.optional(CouponCode),
    attribution: z.optional(Attribution),
    clientIp: z.optional(z.union([z.ipv4(), z.ipv6()])),
    metadata: z.optional(
      z
        .record(text(1, 40), z.string().check(z.maxLength(500)))
        .check(z.refine((metadata) => Object.keys(metadata).length <= 20, 'at most 20 keys')),
    ),
  })
  .check(
    z.superRefine((request, context) => {
      const seen = new Set<string>();
      request.items.forEach((item, index) => {
        if (seen.has(item.sku)) {
          context.addIssue({
            code: 'custom',
            path: ['items', index, 'sku'],
            message: 'each sku may appear once',
          });
        }
        seen.add(item.sku);
      });
    }),
  );
export type CheckoutRequest = z.infer<typeof CheckoutRequest>;
