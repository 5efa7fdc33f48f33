import * as z from 'zod/mini';
import { Coupon, CouponCode, Product, Sku } from '../domain/catalog.ts';
import { Currency, integer, MinorUnits, Timestamp, text } from '../domain/schemas.ts';
import { PageQuery, pageOf } from '../http/common-schemas.ts';
import { operation } from '../http/operation.ts';

export const PutProductRequest = z.strictObject({
  name: text(1, 200),
  unitAmount: MinorUnits,
  currency: Currency,
  stock: integer(0, 1_000_000_000),
  active: z._default(z.boolean(), true),
});

export const StockAdjustmentRequest = z.strictObject({
  delta: integer(-1_000_000_000, 1_000_000_000).check(z.refine((delta) => delta !== 0, 'must not be 0')),
  reason: text(1, 200),
});

/** Either `percentOff`, or `amountOff` with its `currency`. */
export const PutCouponRequest = z
  .strictObject({
    percentOff: z.optional(z.number().check(z.minimum(1), z.maximum(100))),
    amountOff: z.optional(integer(1, Number.MAX_SAFE_INTEGER)),
    currency: z.optional(Currency),
    active: z._default(z.boolean(), true),
    expiresAt: z.optional(Timestamp),
    maxRedemptions: z.optional(integer(1, Number.MAX_SAFE_INTEGER)),
  })
  .check(
    z.superRefine((coupon, context) => {
      const hasPercent = coupon.percentOff !== undefined;
      const hasAmount = coupon.amountOff !== undefined;
      if (hasPercent === hasAmount) {
        context.addIssue({
          code: 'custom',
          path: ['percentOff'],
          message: 'give either percentOff or amountOff',
        });
      }
      if (hasAmount && coupon.currency === undefined) {
        context.addIssue({ code: 'custom', path: ['currency'], message: 'required with amountOff' });
      }
      if (hasPercent && coupon.currency !== undefined) {
        context.addIssue({ code: 'custom', path: ['currency'], message: 'only with amountOff' });
      }
    }),
  );

const SkuParams = z.strictObject({ sku: Sku });
const CodeParams = z.strictObject({ code: CouponCode });

export const listProductsOperation = operation({
  route: 'GET /v1/products',
  auth: 'store',
  summary: 'List the catalog',
  tag: 'Catalog',
  query: PageQuery,
  responses: { 200: { description: 'A page of products', schema: pageOf(Product) } },
  errors: ['validation_failed'],
});

export const putProductOperation = operation({
  route: 'PUT /v1/products/{sku}',
  auth: 'store',
  summary: 'Create or replace a product; stock is set absolutely',
  tag: 'Catalog',
  params: SkuParams,
  body: PutProductRequest,
  responses: { 200: { description: 'The product', schema: Product } },
  errors: ['validation_failed'],
});

export const getProductOperation = operation({
  route: 'GET /v1/products/{sku}',
  auth: 'store',
  summary: 'A product',
  tag: 'Catalog',
  params: SkuParams,
  responses: { 200: { description: 'The product', schema: Product } },
  errors: ['validation_failed', 'not_found'],
});

export const adjustStockOperation = operation({
  route: 'POST /v1/products/{sku}/stock-adjustments',
  auth: 'store',
  summary: 'Add to or take from the stock; never below 0',
  tag: 'Catalog',
  params: SkuParams,
  body: StockAdjustmentRequest,
  responses: { 200: { description: 'The product', schema: Product } },
  errors: ['validation_failed', 'not_found', 'out_of_stock'],
});

export const putCouponOperation = operation({
  route: 'PUT /v1/coupons/{code}',
  auth: 'store',
  summary: 'Create or replace a coupon; its redemption count is kept',
  tag: 'Catalog',
  params: CodeParams,
  body: PutCouponRequest,
  responses: { 200: { description: 'The coupon', schema: Coupon } },
  errors: ['validation_failed'],
});

export const getCouponOperation = operation({
  route: 'GET /v1/coupons/{code}',
  auth: 'store',
  summary: 'A coupon with its redemptions',
  tag: 'Catalog',
  params: CodeParams,
  responses: { 200: { description: 'The coupon', schema: Coupon } },
  errors: ['validation_failed', 'not_found'],
});

export const catalogOperations = [
  listProductsOperation,
  putProductOperation,
  getProductOperation,
  adjustStockOperation,
  putCouponOperation,
  getCouponOperation,
];
