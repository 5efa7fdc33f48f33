import * as z from 'zod';
import { CouponCode, Sku } from './catalog.ts';
import { Address, Attribution, Customer } from './order.ts';
import { Currency } from './schemas.ts';

export const CheckoutItem = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(999),
});

/** `POST /v1/checkouts`; strict, so a client-sent price is rejected rather than ignored. */
export const CheckoutRequest = z
  .strictObject({
    currency: Currency,
    items: z.array(CheckoutItem).min(1).max(50),
    customer: Customer,
    shippingAddress: Address,
    billingAddress: Address.optional(),
    couponCode: CouponCode.optional(),
    attribution: Attribution.optional(),
    clientIp: z.union([z.ipv4(), z.ipv6()]).optional(),
    metadata: z
      .record(z.string().min(1).max(40), z.string().max(500))
      .refine((metadata) => Object.keys(metadata).length <= 20, 'at most 20 keys')
      .optional(),
  })
  .superRefine((request, context) => {
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
  });
export type CheckoutRequest = z.infer<typeof CheckoutRequest>;
