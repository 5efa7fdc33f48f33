/**
 * The KPI items an order's write carries (docs/kpis.md): the facts the change brought, the stale
 * markers of the hours it touched late, and the abandoned-checkout lead. Every order writer puts
 * them in the same transaction as the order, so a fact exists exactly when its change does.
 *
 * Every action is an unconditional Put under a deterministic key: a retried or replayed write puts
 * the same items again, and a write that loses its version race puts none of them.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
// The submodules, not `domain/kpis.ts`: the checkout's bundle needs no rollup or metrics.
import { staleHoursBetween } from '../domain/kpis/contribution.ts';
import { type Fact, factKey, factsBetween } from '../domain/kpis/facts.ts';
import type { Customer, Order } from '../domain/order.ts';
import { leadKey, staleMarkersPartition } from './kpi-keys.ts';
import { orderItem } from './order-items.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit of actions in one TransactWriteItems. */
export const maxTransactionActions = 100;

/** Facts outlive the longest period a rollup re-reads them for (a quarter, and a year to compare). */
const factLifetimeMonths = 13;

/**
 * The Puts that go with writing `after` over `before` (undefined at the checkout), written at
 * `now`: each new fact, a stale marker per late hour, and the lead of a checkout that the change
 * abandoned. Never two actions on one key (a transaction refuses that).
 */
export function kpiWrites(
  tableName: string,
  storeId: string,
  before: Order | undefined,
  after: Order,
  now: Date,
): TransactItem[] {
  const items: Record<string, unknown>[] = [
    ...factsBetween(before, after).map((fact) => factItem(storeId, fact)),
    ...staleHoursBetween(before, after, now).map((hour) => ({
      pk: staleMarkersPartition(storeId),
      sk: hour,
      entity: 'staleMarker',
      markedAt: now.toISOString(),
    })),
  ];
  if (isAbandoned(after) && (before === undefined || !isAbandoned(before))) {
    items.push(leadItem(storeId, after));
  }
  const seen = new Set<string>();
  const actions: TransactItem[] = [];
  for (const item of items) {
    const key = `${String(item.pk)}\u0000${String(item.sk)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    actions.push({ Put: { TableName: tableName, Item: item } });
  }
  return actions;
}

/**
 * The Puts of a new order at its checkout: its `checkout_created` fact. `kpiWrites(…, undefined,
 * order, now)` would give the same items — an order created now is not late, revises nothing and
 * is not abandoned — but this leaves the stale-marker and lead logic out of the checkout's bundle,
 * whose cold start is measured (`npm run bench`).
 */
export function newOrderKpiWrites(tableName: string, storeId: string, order: Order): TransactItem[] {
  return factsBetween(undefined, order).map((fact) => ({
    Put: { TableName: tableName, Item: factItem(storeId, fact) },
  }));
}

/** Throws before sending a transaction DynamoDB would refuse, naming what it was for. */
export function assertTransactionSize(items: readonly TransactItem[], what: string): void {
  if (items.length > maxTransactionActions) {
    throw new Error(
      `${what} needs ${items.length} transaction actions; DynamoDB takes ${maxTransactionActions}`,
    );
  }
}

/**
 * Writes `after` if the order is still at `read.version`, with its KPI items in one transaction;
 * a lone conditional Put when the change brings none, as most changes do.
 */
export async function saveOrderWithKpis(
  client: DynamoDBDocumentClient,
  tableName: string,
  storeId: string,
  read: { readonly version: number; readonly order: Order },
  after: Order,
  now: Date,
): Promise<'saved' | 'conflict'> {
  const put = {
    TableName: tableName,
    Item: orderItem(storeId, after, read.version + 1),
    ConditionExpression: 'version = :version',
    ExpressionAttributeValues: { ':version': read.version },
  };
  const kpis = kpiWrites(tableName, storeId, read.order, after, now);
  try {
    if (kpis.length === 0) {
      await client.send(new PutCommand(put));
    } else {
      const items: TransactItem[] = [{ Put: put }, ...kpis];
      assertTransactionSize(items, `order ${after.id}'s write`);
      await client.send(new TransactWriteCommand({ TransactItems: items }));
    }
    return 'saved';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'conflict';
    if (error instanceof TransactionCanceledException && lostOrderRace(error)) return 'conflict';
    throw error;
  }
}

/**
 * Whether a transaction whose first action is the order's guarded write failed because another
 * writer got there first: the guard failed, or a concurrent transaction held one of its items.
 */
export function lostOrderRace(error: TransactionCanceledException): boolean {
  const reasons = error.CancellationReasons ?? [];
  return (
    reasons[0]?.Code === 'ConditionalCheckFailed' ||
    reasons.some((reason) => reason.Code === 'TransactionConflict')
  );
}

/** A fact as every order write stores it (the bench stores its history the same way). */
export function factItem(storeId: string, fact: Fact): Record<string, unknown> {
  return {
    ...factKey(storeId, fact),
    entity: 'fact',
    type: fact.type,
    at: fact.at,
    orderId: fact.orderId,
    ...(fact.subId === undefined ? {} : { subId: fact.subId }),
    ttl: factTtl(fact.at),
  };
}

/** `at` plus 13 months, in epoch seconds (DynamoDB TTL). */
export function factTtl(at: string): number {
  const expiry = new Date(at);
  expiry.setUTCMonth(expiry.getUTCMonth() + factLifetimeMonths);
  return Math.floor(expiry.getTime() / 1000);
}

const isAbandoned = (order: Order) =>
  order.status === 'cancelled' && order.cancelReason === 'payment_expired';

/** The lead the sales team follows up (contract section 8), as `GET /v1/leads/abandoned` lists it. */
function leadItem(storeId: string, order: Order): Record<string, unknown> {
  return {
    ...leadKey(storeId, order.createdAt, order.id),
    entity: 'lead',
    orderId: order.id,
    customer: leadCustomer(order.customer),
    total: order.amounts.total,
    currency: order.currency,
    lines: order.lines,
    ...(order.attribution === undefined ? {} : { attribution: order.attribution }),
    createdAt: order.createdAt,
    paymentFailures: order.paymentFacts?.failedAttempts.length ?? 0,
  };
}

/**
 * The customer without what the sales team may not use: email and phone only with marketing
 * consent, never the tax id. Listed field by field, so a field added to the customer later stays out.
 */
function leadCustomer(customer: Customer): Record<string, unknown> {
  return {
    type: customer.type,
    ...(customer.name === undefined ? {} : { name: customer.name }),
    ...(customer.companyName === undefined ? {} : { companyName: customer.companyName }),
    marketingConsent: customer.marketingConsent,
    ...(customer.marketingConsent
      ? { email: customer.email, ...(customer.phone === undefined ? {} : { phone: customer.phone }) }
      : {}),
  };
}
