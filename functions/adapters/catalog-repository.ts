import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Coupon, Product } from '../domain/catalog.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

export const productKey = (storeId: string, sku: string) => ({
  pk: `STORE#${storeId}`,
  sk: `PRODUCT#${sku}`,
});
export const couponKey = (storeId: string, code: string) => ({
  pk: `STORE#${storeId}`,
  sk: `COUPON#${code}`,
});

export type StockAdjustment =
  | { readonly outcome: 'adjusted'; readonly product: Product }
  | { readonly outcome: 'not_found' }
  | { readonly outcome: 'insufficient'; readonly stock: number };

function withoutKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as T;
}

export class CatalogRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putProduct(storeId: string, product: Product): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...productKey(storeId, product.sku), entity: 'product', ...product },
      }),
    );
  }

  async getProduct(storeId: string, sku: string): Promise<Product | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: productKey(storeId, sku) }),
    );
    return Item === undefined ? undefined : withoutKeys<Product>(Item);
  }

  async listProducts(storeId: string, limit: number, cursor: string | undefined): Promise<Page<Product>> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `STORE#${storeId}`, ':prefix': 'PRODUCT#' },
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return {
      data: Items.map((item) => withoutKeys<Product>(item)),
      nextCursor: encodeCursor(LastEvaluatedKey),
    };
  }

  /** Adds `delta` to the stock in one conditional write: it never goes below 0. */
  async adjustStock(
    storeId: string,
    sku: string,
    delta: number,
    updatedAt: string,
  ): Promise<StockAdjustment> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: productKey(storeId, sku),
          UpdateExpression: 'ADD stock :delta SET updatedAt = :updatedAt',
          ConditionExpression: 'attribute_exists(pk) AND stock >= :needed',
          ExpressionAttributeValues: {
            ':delta': delta,
            ':needed': Math.max(0, -delta),
            ':updatedAt': updatedAt,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (Attributes === undefined) throw new Error('UpdateItem returned no attributes');
      return { outcome: 'adjusted', product: withoutKeys<Product>(Attributes) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const stock = error.Item?.stock?.N;
      return stock === undefined
        ? { outcome: 'not_found' }
        : { outcome: 'insufficient', stock: Number(stock) };
    }
  }

  /** Writes the coupon's terms; its redemption count is kept (it only moves with checkouts). */
  async putCoupon(storeId: string, coupon: Omit<Coupon, 'redemptions'>): Promise<Coupon> {
    const optional = ['percentOff', 'amountOff', 'currency', 'expiresAt', 'maxRedemptions'] as const;
    const set = optional.filter((field) => coupon[field] !== undefined);
    const remove = optional.filter((field) => coupon[field] === undefined);
    const values: Record<string, unknown> = {
      ':code': coupon.code,
      ':active': coupon.active,
      ':updatedAt': coupon.updatedAt,
      ':entity': 'coupon',
      ':zero': 0,
    };
    for (const field of set) values[`:${field}`] = coupon[field];
    const assignments = [
      'code = :code',
      'active = :active',
      'updatedAt = :updatedAt',
      'entity = :entity',
      'redemptions = if_not_exists(redemptions, :zero)',
      ...set.map((field) => `${field} = :${field}`),
    ];
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: couponKey(storeId, coupon.code),
        UpdateExpression: `SET ${assignments.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (Attributes === undefined) throw new Error('UpdateItem returned no attributes');
    return withoutKeys<Coupon>(Attributes);
  }

  async getCoupon(storeId: string, code: string): Promise<Coupon | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: couponKey(storeId, code) }),
    );
    return Item === undefined ? undefined : withoutKeys<Coupon>(Item);
  }
}
