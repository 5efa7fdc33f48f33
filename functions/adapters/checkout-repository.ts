/**
 * The checkout's two requests on the main table: one BatchGetItem for what it prices with, and
 * one TransactWriteItems that reserves every line, counts the coupon and writes the order. Kept
 * apart from the orders repository so the checkout function carries only these.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { PlaceOrderOutcome } from '../checkout/checkout.ts';
import type { Coupon, Product } from '../domain/catalog.ts';
import type { Order } from '../domain/order.ts';
import { couponKey, productKey } from './catalog-repository.ts';
import { assertTransactionSize, newOrderKpiWrites, type TransactItem } from './kpi-writes.ts';
import { orderItem, paymentIntentKey } from './order-items.ts';
import { type VelocitySubject, velocityOrderMark } from './velocity-keys.ts';

export interface ReservedLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitAmount: number;
  readonly currency: string;
}

export class CheckoutRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The products and coupon a checkout prices with, in one BatchGetItem. */
  async loadForCheckout(
    storeId: string,
    skus: readonly string[],
    couponCode: string | undefined,
  ): Promise<{ products: Map<string, Product>; coupon: Coupon | undefined }> {
    let keys: Record<string, unknown>[] = skus.map((sku) => productKey(storeId, sku));
    if (couponCode !== undefined) keys.push(couponKey(storeId, couponCode));
    const products = new Map<string, Product>();
    let coupon: Coupon | undefined;
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
      );
      for (const item of Responses?.[this.tableName] ?? []) {
        const { pk: _pk, sk, entity: _entity, ...rest } = item;
        if (typeof sk === 'string' && sk.startsWith('PRODUCT#'))
          products.set(rest.sku as string, rest as Product);
        else coupon = rest as Coupon;
      }
      keys = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
    return { products, coupon };
  }

  /**
   * Reserves every line and the coupon and writes the order with its KPI facts, in one
   * transaction: each line is guarded by its stock and by the price, currency and active flag it
   * was priced with. At most 50 lines + coupon + order + PaymentIntent reference + 2 velocity
   * counters + the checkout's fact: within a transaction's 100 actions.
   */
  async place(input: {
    readonly storeId: string;
    readonly order: Order;
    readonly lines: readonly ReservedLine[];
    readonly coupon?: { readonly code: string; readonly updatedAt: string } | undefined;
    readonly velocitySubjects: readonly VelocitySubject[];
    readonly now: string;
  }): Promise<PlaceOrderOutcome> {
    const { storeId, order } = input;
    const items: TransactItem[] = input.lines.map((line) => ({
      Update: {
        TableName: this.tableName,
        Key: productKey(storeId, line.sku),
        UpdateExpression: 'SET stock = stock - :quantity',
        ConditionExpression:
          'stock >= :quantity AND unitAmount = :unitAmount AND currency = :currency AND active = :active',
        ExpressionAttributeValues: {
          ':quantity': line.quantity,
          ':unitAmount': line.unitAmount,
          ':currency': line.currency,
          ':active': true,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    }));
    if (input.coupon !== undefined) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: couponKey(storeId, input.coupon.code),
          UpdateExpression: 'ADD redemptions :one',
          ConditionExpression:
            'updatedAt = :updatedAt AND active = :active AND (attribute_not_exists(maxRedemptions) OR redemptions < maxRedemptions) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
          ExpressionAttributeValues: {
            ':one': 1,
            ':updatedAt': input.coupon.updatedAt,
            ':active': true,
            ':now': input.now,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    items.push(
      {
        Put: {
          TableName: this.tableName,
          Item: orderItem(storeId, order, 1),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...paymentIntentKey(order.payment.paymentIntentId),
            entity: 'paymentIntentRef',
            storeId,
            orderId: order.id,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    );
    // Last, so that CancellationReasons still index the lines and the coupon from 0.
    for (const subject of input.velocitySubjects) {
      items.push(velocityOrderMark(this.tableName, storeId, subject, new Date(order.createdAt), order.id));
    }
    items.push(...newOrderKpiWrites(this.tableName, storeId, order));
    assertTransactionSize(items, `checkout of order ${order.id}`);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { outcome: 'placed' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      return placementFailure(error, input.lines, input.coupon !== undefined);
    }
  }
}

function placementFailure(
  error: TransactionCanceledException,
  lines: readonly ReservedLine[],
  hasCoupon: boolean,
): PlaceOrderOutcome {
  const reasons = error.CancellationReasons ?? [];
  if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return { outcome: 'conflict' };
  const short: { sku: string; available: number }[] = [];
  let stale = false;
  lines.forEach((line, index) => {
    const reason = reasons[index];
    if (reason?.Code !== 'ConditionalCheckFailed') return;
    const stock = numberAttribute(reason.Item?.stock);
    if (stock === undefined)
      stale = true; // the product is gone: re-pricing reports it as unknown
    else if (stock < line.quantity) short.push({ sku: line.sku, available: stock });
    else stale = true;
  });
  if (short.length > 0) return { outcome: 'out_of_stock', short };
  if (stale) return { outcome: 'stale' };
  const couponReason = hasCoupon ? reasons[lines.length] : undefined;
  if (couponReason?.Code === 'ConditionalCheckFailed') {
    const redemptions = numberAttribute(couponReason.Item?.redemptions);
    const max = numberAttribute(couponReason.Item?.maxRedemptions);
    return max !== undefined && redemptions !== undefined && redemptions >= max
      ? { outcome: 'coupon_unavailable' }
      : { outcome: 'stale' };
  }
  throw new Error('checkout transaction cancelled for an unexpected reason', { cause: error });
}

/** CancellationReasons carry raw attribute values (`{ N: "3" }`), even through the document client. */
function numberAttribute(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && 'N' in value && typeof value.N === 'string')
    return Number(value.N);
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
