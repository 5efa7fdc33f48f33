/**
 * Orders on the main table. Every write of an order is a Put conditioned on the version it was
 * read at, so concurrent writers never lose each other's changes; stock and coupon counts move
 * in the same transaction as the order they belong to.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { PlaceOrderOutcome } from '../checkout/checkout.ts';
import type { Coupon, Product } from '../domain/catalog.ts';
import type { Order, OrderStatus } from '../domain/order.ts';
import type { PaymentEffect } from '../domain/payments.ts';
import { reviewDueAt, shortestReviewTimeoutHours } from '../domain/review.ts';
import { couponKey, productKey } from './catalog-repository.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const orderKey = (storeId: string, orderId: string) => ({
  pk: `STORE#${storeId}#ORDER#${orderId}`,
  sk: '#ORDER',
});
export const paymentIntentKey = (paymentIntentId: string) => ({
  pk: `PAYMENT_INTENT#${paymentIntentId}`,
  sk: '#REF',
});

/**
 * An effect of the payment state machine that the order's write committed to and that is not
 * done yet; it lives beside the order (same partition) until it is done, so that no other writer
 * of the order can drop it and a redelivery finds it.
 */
export const pendingEffectKey = (storeId: string, orderId: string, effectId: string) => ({
  pk: orderKey(storeId, orderId).pk,
  sk: `#EFFECT#${effectId}`,
});

/** A store's record that an email (by hash) or a card (by fingerprint) had a dispute. */
export const priorDisputeKey = (storeId: string, kind: 'EMAIL' | 'CARD', id: string) => ({
  pk: `STORE#${storeId}#DISPUTED_${kind}#${id}`,
  sk: '#DISPUTE',
});

/** Who performs a pending effect, and until when (epoch ms) nobody else may. */
export interface EffectLease {
  readonly owner: string;
  readonly until: number;
}

export interface PendingEffect {
  /** Unique per order: one effect of each kind can rise per order. */
  readonly id: string;
  readonly effect: PaymentEffect;
}

/** Reservation deadlines are spread over shards so that no one partition takes every order. */
export const dueShards = 8;
const dueShard = (orderId: string) => (createHash('sha1').update(orderId).digest()[0] ?? 0) % dueShards;

export interface StoredOrder {
  readonly storeId: string;
  readonly version: number;
  readonly order: Order;
}

export interface ReservedLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitAmount: number;
  readonly currency: string;
}

export interface OrderFilter {
  readonly status?: OrderStatus | undefined;
  readonly createdFrom?: string | undefined;
  readonly createdTo?: string | undefined;
}

export class OrdersRepository {
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
   * Reserves every line and the coupon and writes the order, in one transaction: each line is
   * guarded by its stock and by the price, currency and active flag it was priced with.
   */
  async place(input: {
    readonly storeId: string;
    readonly order: Order;
    readonly lines: readonly ReservedLine[];
    readonly coupon?: { readonly code: string; readonly updatedAt: string } | undefined;
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
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { outcome: 'placed' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      return placementFailure(error, input.lines, input.coupon !== undefined);
    }
  }

  async get(storeId: string, orderId: string): Promise<StoredOrder | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: orderKey(storeId, orderId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : storedOrder(Item);
  }

  /** Newest first; by status through its own index so that a filter never reads other orders. */
  async list(
    storeId: string,
    filter: OrderFilter,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Order>> {
    const byStatus = filter.status !== undefined;
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: byStatus ? 'byStatus' : 'byStore',
        KeyConditionExpression: `#pk = :pk AND #sk BETWEEN :from AND :to`,
        ExpressionAttributeNames: {
          '#pk': byStatus ? 'gsi2pk' : 'gsi1pk',
          '#sk': byStatus ? 'gsi2sk' : 'gsi1sk',
        },
        ExpressionAttributeValues: {
          ':pk': byStatus ? `ORDERS#${storeId}#${filter.status}` : `ORDERS#${storeId}`,
          ':from': filter.createdFrom ?? '0',
          // `~` sorts after every id character, so the bound includes orders created at `createdTo`.
          ':to': `${filter.createdTo ?? '9999'}~`,
        },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return { data: Items.map((item) => storedOrder(item).order), nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  /**
   * Writes the cancelled order and gives its stock (and coupon redemption) back, once: the
   * transaction only commits if the order is still at the version the caller read.
   */
  async cancel(stored: StoredOrder, cancelled: Order): Promise<'cancelled' | 'conflict'> {
    const { storeId } = stored;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: orderItem(storeId, cancelled, stored.version + 1),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': stored.version },
        },
      },
      ...cancelled.lines.map(
        (line): TransactItem => ({
          Update: {
            TableName: this.tableName,
            Key: productKey(storeId, line.sku),
            UpdateExpression: 'ADD stock :quantity',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':quantity': line.quantity },
          },
        }),
      ),
    ];
    if (cancelled.couponCode !== undefined) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: couponKey(storeId, cancelled.couponCode),
          UpdateExpression: 'ADD redemptions :minusOne',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      });
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'cancelled';
    } catch (error) {
      if (error instanceof TransactionCanceledException) return 'conflict';
      throw error;
    }
  }

  /** Writes a new state of the order if it is still at the version the caller read. */
  async save(stored: StoredOrder, next: Order): Promise<'saved' | 'conflict'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: orderItem(stored.storeId, next, stored.version + 1),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': stored.version },
        }),
      );
      return 'saved';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  /** Which store's order a PaymentIntent belongs to, if it is one of ours. */
  async findByPaymentIntent(
    paymentIntentId: string,
  ): Promise<{ storeId: string; orderId: string } | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: paymentIntentKey(paymentIntentId) }),
    );
    if (typeof Item?.storeId !== 'string' || typeof Item.orderId !== 'string') return undefined;
    return { storeId: Item.storeId, orderId: Item.orderId };
  }

  /** The order with the effects it still owes, in one consistent read of its partition. */
  async getWithPendingEffects(
    storeId: string,
    orderId: string,
  ): Promise<{ stored: StoredOrder | undefined; pendingEffects: PendingEffect[] }> {
    let stored: StoredOrder | undefined;
    const pendingEffects: PendingEffect[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': orderKey(storeId, orderId).pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk === '#ORDER') stored = storedOrder(item);
        else if (typeof item.sk === 'string' && item.sk.startsWith('#EFFECT#'))
          pendingEffects.push({ id: item.sk.slice('#EFFECT#'.length), effect: item.effect as PaymentEffect });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return { stored, pendingEffects };
  }

  /**
   * Writes a new state of the order if it is still at the version the caller read, in one
   * transaction with what that state commits to: the stock and coupon it gives back (`release`)
   * and the effects still to perform (`pendingEffects`), so none is lost or done twice.
   */
  async saveTransition(
    stored: StoredOrder,
    next: Order,
    commitments: {
      readonly release?:
        | {
            readonly lines: readonly { sku: string; quantity: number }[];
            readonly couponCode?: string | undefined;
          }
        | undefined;
      readonly pendingEffects: readonly PendingEffect[];
      /** The writer holds the new effects' lease: it performs them, concurrent readers leave them. */
      readonly lease?: EffectLease | undefined;
    },
  ): Promise<'saved' | 'conflict'> {
    const { release, pendingEffects, lease } = commitments;
    if (release === undefined && pendingEffects.length === 0) return this.save(stored, next);
    const { storeId } = stored;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: orderItem(storeId, next, stored.version + 1),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': stored.version },
        },
      },
      ...pendingEffects.map(
        (pending): TransactItem => ({
          Put: {
            TableName: this.tableName,
            Item: {
              ...pendingEffectKey(storeId, next.id, pending.id),
              entity: 'pendingEffect',
              effect: pending.effect,
              createdAt: next.updatedAt,
              ...(lease === undefined ? {} : { leaseOwner: lease.owner, leaseUntil: lease.until }),
            },
          },
        }),
      ),
    ];
    if (release !== undefined) {
      items.push(...stockReturns(this.tableName, storeId, release.lines, release.couponCode));
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'saved';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (
        reasons[0]?.Code === 'ConditionalCheckFailed' ||
        reasons.some((reason) => reason.Code === 'TransactionConflict')
      )
        return 'conflict';
      throw error;
    }
  }

  /**
   * Takes the lease of an effect left pending by an earlier write, so that of many concurrent
   * deliveries one performs it; false when it is done already or another holds an unexpired lease.
   * A lease lapses, so an effect whose performer crashed is taken up again.
   */
  async claimEffect(
    storeId: string,
    orderId: string,
    effectId: string,
    lease: EffectLease,
    now: number,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: pendingEffectKey(storeId, orderId, effectId),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)',
          ExpressionAttributeValues: { ':owner': lease.owner, ':until': lease.until, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Forgets an effect once it is done; a redelivery after a crash before this repeats it (idempotently). */
  async settleEffect(storeId: string, orderId: string, effectId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: pendingEffectKey(storeId, orderId, effectId) }),
    );
  }

  /** Records that an email hash or card fingerprint had a dispute in the store; the first record stays. */
  async recordPriorDispute(
    storeId: string,
    kind: 'EMAIL' | 'CARD',
    id: string,
    dispute: { readonly disputeId: string; readonly orderId: string; readonly at: string },
  ): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...priorDisputeKey(storeId, kind, id), entity: 'priorDispute', ...dispute },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Orders in review whose due time (see `orderItem`) is before `now`, across every store. */
  dueReviews(now: string, limitPerShard: number): Promise<StoredOrder[]> {
    return this.due('review', now, limitPerShard);
  }

  /** Moves an order in review to its store's own due time, if it is still at the version read. */
  async deferReviewDue(stored: StoredOrder, dueAt: string): Promise<'deferred' | 'conflict'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderKey(stored.storeId, stored.order.id),
          UpdateExpression: 'SET duesk = :duesk',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':duesk': `${dueAt}#${stored.order.id}`, ':version': stored.version },
        }),
      );
      return 'deferred';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  /** A store's orders in one status, oldest first (the review queue). */
  async listOldestInStatus(
    storeId: string,
    status: OrderStatus,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Order>> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORDERS#${storeId}#${status}` },
        ScanIndexForward: true,
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return { data: Items.map((item) => storedOrder(item).order), nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  /** Orders whose reservation ended before `now`, oldest first, across every store. */
  expiredReservations(now: string, limitPerShard: number): Promise<StoredOrder[]> {
    return this.due('reservation', now, limitPerShard);
  }

  /** The sparse due index: orders of one kind due before `now`, on every shard. */
  private async due(
    kind: 'reservation' | 'review',
    now: string,
    limitPerShard: number,
  ): Promise<StoredOrder[]> {
    const shards = Array.from({ length: dueShards }, (_, shard) => shard);
    const pages = await Promise.all(
      shards.map((shard) =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'byDueTime',
            KeyConditionExpression: 'duepk = :pk AND duesk < :now',
            ExpressionAttributeValues: { ':pk': `DUE#${kind}#${shard}`, ':now': now },
            Limit: limitPerShard,
          }),
        ),
      ),
    );
    return pages.flatMap((page) => (page.Items ?? []).map(storedOrder));
  }
}

/** The updates that give an order's stock and coupon redemption back. */
function stockReturns(
  tableName: string,
  storeId: string,
  lines: readonly { sku: string; quantity: number }[],
  couponCode: string | undefined,
): TransactItem[] {
  const items = lines.map(
    (line): TransactItem => ({
      Update: {
        TableName: tableName,
        Key: productKey(storeId, line.sku),
        UpdateExpression: 'ADD stock :quantity',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':quantity': line.quantity },
      },
    }),
  );
  if (couponCode !== undefined) {
    items.push({
      Update: {
        TableName: tableName,
        Key: couponKey(storeId, couponCode),
        UpdateExpression: 'ADD redemptions :minusOne',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':minusOne': -1 },
      },
    });
  }
  return items;
}

/** The order's item with its index keys; `pending_payment` and `on_hold` orders are in the due index. */
function orderItem(storeId: string, order: Order, version: number): Record<string, unknown> {
  const sortKey = `${order.createdAt}#${order.id}`;
  return {
    ...orderKey(storeId, order.id),
    entity: 'order',
    storeId,
    version,
    gsi1pk: `ORDERS#${storeId}`,
    gsi1sk: sortKey,
    gsi2pk: `ORDERS#${storeId}#${order.status}`,
    gsi2sk: sortKey,
    ...(order.status === 'pending_payment'
      ? { duepk: `DUE#reservation#${dueShard(order.id)}`, duesk: `${order.reservationExpiresAt}#${order.id}` }
      : {}),
    // Due at the earliest timeout a store may set; the sweeper re-checks the store's own setting
    // and defers the order to it (`deferReviewDue`), so no store's timeout is read here.
    ...(order.status === 'on_hold'
      ? {
          duepk: `DUE#review#${dueShard(order.id)}`,
          duesk: `${reviewDueAt(order, shortestReviewTimeoutHours)}#${order.id}`,
        }
      : {}),
    ...order,
  };
}

function storedOrder(item: Record<string, unknown>): StoredOrder {
  const {
    pk: _pk,
    sk: _sk,
    entity: _entity,
    gsi1pk: _gsi1pk,
    gsi1sk: _gsi1sk,
    gsi2pk: _gsi2pk,
    gsi2sk: _gsi2sk,
    duepk: _duepk,
    duesk: _duesk,
    storeId,
    version,
    ...order
  } = item;
  return { storeId: storeId as string, version: version as number, order: order as Order };
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
