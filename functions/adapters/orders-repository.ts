/**
 * Orders on the main table. Every write of an order is a Put conditioned on the version it was
 * read at, so concurrent writers never lose each other's changes; stock and coupon counts, and
 * the KPI facts, stale markers and lead the change brings (`kpi-writes.ts`), move in the same
 * transaction as the order they belong to.
 */

import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Order, OrderStatus } from '../domain/order.ts';
import type { PaymentEffect } from '../domain/payments.ts';
import type { Clock } from '../domain/ports.ts';
import type { DueEffect } from '../orders/owed-effects.ts';
import type { TransitionCommitments } from '../payments/effects.ts';
import { couponKey, productKey } from './catalog-repository.ts';
import {
  assertTransactionSize,
  kpiWrites,
  lostOrderRace,
  saveOrderWithKpis,
  type TransactItem,
} from './kpi-writes.ts';
import {
  dueShard,
  dueShards,
  orderItem,
  orderKey,
  paymentIntentKey,
  type StoredOrder,
  storedOrder,
} from './order-items.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { queryItems } from './query-items.ts';
import { systemClock } from './system.ts';

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

/**
 * How long a pending effect is left to the deliveries that wrote it and their SQS retries before
 * the sweeper takes it up: past a writer's lease (60 s) and a message's redeliveries.
 */
export const owedEffectGraceMs = 15 * 60_000;

const owedEffectDueKeys = (orderId: string, effectId: string, dueAt: string) => ({
  duepk: `DUE#effect#${dueShard(orderId)}`,
  duesk: `${dueAt}#${orderId}#${effectId}`,
});

export interface PendingEffect {
  /** Unique per order: one effect of each kind can rise per order. */
  readonly id: string;
  readonly effect: PaymentEffect;
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
    /** When writes happen: a fact written more than an hour after it happened marks its hour stale. */
    private readonly clock: Clock = systemClock,
  ) {}

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
   * transaction only commits if the order is still at the version the caller read. A reservation
   * that expired leaves its abandoned-checkout lead in the same transaction.
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
    items.push(...kpiWrites(this.tableName, storeId, stored.order, cancelled, this.clock.now()));
    assertTransactionSize(items, `cancellation of order ${cancelled.id}`);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'cancelled';
    } catch (error) {
      if (error instanceof TransactionCanceledException) return 'conflict';
      throw error;
    }
  }

  /** Writes a new state of the order, with its KPI items, if it is still at the version the caller read. */
  save(stored: StoredOrder, next: Order): Promise<'saved' | 'conflict'> {
    return saveOrderWithKpis(this.client, this.tableName, stored.storeId, stored, next, this.clock.now());
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
    const items = await queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': orderKey(storeId, orderId).pk },
      ConsistentRead: true,
    });
    for (const item of items) {
      if (item.sk === '#ORDER') stored = storedOrder(item);
      else if (typeof item.sk === 'string' && item.sk.startsWith('#EFFECT#'))
        pendingEffects.push({ id: item.sk.slice('#EFFECT#'.length), effect: item.effect as PaymentEffect });
    }
    return { stored, pendingEffects };
  }

  /**
   * Writes a new state of the order if it is still at the version the caller read, in one
   * transaction with what that state commits to: the stock and coupon it gives back (`release`),
   * the effects still to perform (`pendingEffects`), so none is lost or done twice, and its KPI items.
   */
  async saveTransition(
    stored: StoredOrder,
    next: Order,
    commitments: TransitionCommitments,
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
              storeId,
              orderId: next.id,
              effect: pending.effect,
              createdAt: next.updatedAt,
              ...(lease === undefined ? {} : { leaseOwner: lease.owner, leaseUntil: lease.until }),
              // Still here after its deliveries' retries, the sweeper takes it up (owed-effects.ts).
              ...owedEffectDueKeys(
                next.id,
                pending.id,
                new Date(this.clock.now().getTime() + owedEffectGraceMs).toISOString(),
              ),
            },
          },
        }),
      ),
    ];
    if (release !== undefined) {
      items.push(...stockReturns(this.tableName, storeId, release.lines, release.couponCode));
    }
    items.push(...kpiWrites(this.tableName, storeId, stored.order, next, this.clock.now()));
    assertTransactionSize(items, `transition of order ${next.id}`);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'saved';
    } catch (error) {
      if (error instanceof TransactionCanceledException && lostOrderRace(error)) return 'conflict';
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

  /** Pending effects due by `now` in the due index (`DUE#effect#<shard>`), at most `limitPerShard` a shard. */
  async dueEffects(now: string, limitPerShard: number): Promise<DueEffect[]> {
    return (await this.dueItems('effect', now, limitPerShard)).flatMap((item): DueEffect[] => {
      const { storeId, orderId, sk } = item;
      if (typeof storeId !== 'string' || typeof orderId !== 'string' || typeof sk !== 'string') return [];
      return [{ storeId, orderId, effectId: sk.slice('#EFFECT#'.length) }];
    });
  }

  /** Moves a pending effect's due time to `dueAt`; nothing if it was settled meanwhile. */
  async deferEffect(storeId: string, orderId: string, effectId: string, dueAt: string): Promise<void> {
    const { duesk } = owedEffectDueKeys(orderId, effectId, dueAt);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: pendingEffectKey(storeId, orderId, effectId),
          UpdateExpression: 'SET duesk = :duesk',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':duesk': duesk },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
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

  /** Paid orders with units to ship whose due time (see `orderItem`) is before `now`, across every store. */
  dueShipments(now: string, limitPerShard: number): Promise<StoredOrder[]> {
    return this.due('ship', now, limitPerShard);
  }

  /** Moves a paid order to its store's own ship-by time; the same guarded move as a review's. */
  deferShipDue(stored: StoredOrder, dueAt: string): Promise<'deferred' | 'conflict'> {
    return this.deferReviewDue(stored, dueAt);
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
    kind: 'reservation' | 'review' | 'ship',
    now: string,
    limitPerShard: number,
  ): Promise<StoredOrder[]> {
    return (await this.dueItems(kind, now, limitPerShard)).map(storedOrder);
  }

  /** The items of one kind of the due index due before `now`, from each of its shards. */
  private async dueItems(
    kind: 'reservation' | 'review' | 'ship' | 'effect',
    now: string,
    limitPerShard: number,
  ): Promise<Record<string, unknown>[]> {
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
    return pages.flatMap((page) => page.Items ?? []);
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
