/**
 * Playing a carrier against the running local stack: signed tracking deliveries to
 * `POST /v1/webhooks/shipping/{storeId}`, the shipments they move, and direct reads of the stack's
 * DynamoDB Local for what the API does not show (kept early events, the tracking head, the order's
 * version), so that "nothing was recorded" can be checked where it would have been recorded.
 * Paid orders and shipments to track come from ./shipments.ts.
 *
 * Signatures are computed here from the contract's formula with `node:crypto`, not with the
 * receiver's own code.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type ApiResponse, call, type TestStore } from './api.ts';
import { eventually } from './orders-flow.ts';
import type { Shipment, TrackingEvent } from './shipments.ts';

// A test that ships and then tracks may take both halves from here.
export { createShipment, paidOrder } from './shipments.ts';

export const webhookPath = (storeId: string) => `/v1/webhooks/shipping/${storeId}`;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signatureHeader(secret: string, rawBody: string, timestamp = nowSeconds()): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export const uniqueTrackingNumber = () => `1Z${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`;

/** A tracking event with a fresh `eventId`; `occurredAt` defaults to now. */
export function trackingEvent(
  input: Pick<TrackingEvent, 'trackingNumber' | 'status'> & Partial<TrackingEvent>,
): TrackingEvent {
  return {
    eventId: `evt_${randomUUID()}`,
    carrier: 'ups',
    occurredAt: new Date().toISOString(),
    ...input,
  };
}

/** Posts `events` signed with `secret` (or with the given header / raw body). */
export async function postTrackingEvents(
  storeId: string,
  secret: string,
  events: readonly TrackingEvent[],
  options: { rawBody?: string; signature?: string | null; timestamp?: number } = {},
): Promise<ApiResponse> {
  const rawBody = options.rawBody ?? JSON.stringify({ events });
  const signature =
    options.signature === undefined ? signatureHeader(secret, rawBody, options.timestamp) : options.signature;
  return call('POST', webhookPath(storeId), {
    rawBody,
    headers: {
      'content-type': 'application/json',
      ...(signature === null ? {} : { 'x-salesops-signature': signature }),
    },
  });
}

/** Posts and expects `202 { accepted }`. */
export async function deliver(store: TestStore, events: readonly TrackingEvent[], secret?: string) {
  const response = await postTrackingEvents(store.id, secret ?? store.shippingWebhookSecret, events);
  if (response.status !== 202)
    throw new Error(`delivery refused: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { accepted: number };
}

export const getShipment = async (store: TestStore, id: string) =>
  (await store.call<Shipment>('GET', `/v1/shipments/${id}`)).body;

/** Polls the shipment until `done`; returns it for the test to assert on. */
export const shipmentWhen = (store: TestStore, id: string, done: (shipment: Shipment) => boolean) =>
  eventually(() => getShipment(store, id), done);

export const hasEvents = (shipment: Shipment, eventIds: readonly string[]) =>
  eventIds.every((eventId) => shipment.events.some((event) => event.eventId === eventId));

// ---------------------------------------------------------------------------------------------
// The stack's DynamoDB Local, read directly

async function stackTable() {
  Object.assign(process.env, inject('stackEnvironment'));
  const { documentClient, mainTableName } = await import('../../functions/adapters/dynamodb.ts');
  return { client: documentClient, tableName: mainTableName() };
}

async function getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const { client, tableName } = await stackTable();
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

/** Every item in a tracking number's partition: its head and the events kept for it. */
export async function trackingItems(
  storeId: string,
  carrier: string,
  trackingNumber: string,
): Promise<Record<string, unknown>[]> {
  const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const { trackingHeadKey } = await import('../../functions/adapters/shipping-keys.ts');
  const { client, tableName } = await stackTable();
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': trackingHeadKey(storeId, carrier, trackingNumber).pk },
      ConsistentRead: true,
    }),
  );
  return Items;
}

/** The kept early event `eventId`, if there is one. */
export async function earlyEventItem(
  storeId: string,
  event: Pick<TrackingEvent, 'carrier' | 'trackingNumber' | 'eventId'>,
) {
  const { earlyEventKey } = await import('../../functions/adapters/shipping-keys.ts');
  return getItem(earlyEventKey(storeId, event.carrier, event.trackingNumber, event.eventId));
}

/** The order item's version: it moves with every write of the order. */
export async function orderVersion(storeId: string, orderId: string): Promise<number | undefined> {
  const { orderKey } = await import('../../functions/adapters/order-items.ts');
  const item = await getItem(orderKey(storeId, orderId));
  return typeof item?.version === 'number' ? item.version : undefined;
}

/** The stack's `shipping-events` queue: messages waiting and in flight. */
export async function shippingQueueDepth(): Promise<number> {
  const { GetQueueAttributesCommand, SQSClient } = await import('@aws-sdk/client-sqs');
  const { queueUrlEnvVar } = await import('../../lib/runtime-env.ts');
  const environment = inject('stackEnvironment');
  const sqs = new SQSClient({
    endpoint: environment.SQS_ENDPOINT,
    region: environment.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: environment[queueUrlEnvVar('shipping-events')],
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  } finally {
    sqs.destroy();
  }
}
