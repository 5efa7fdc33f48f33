/**
 * The shipping webhook receiver's calls to AWS: accepting n events costs one GetItem (the store's
 * secrets, projected) and ceil(n / 10) SendMessageBatch calls, nothing else; a refused delivery
 * sends nothing. SDK clients are mocked; signatures are real.
 */
import { createHmac } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mainTable, tableEnvVar } from '../../lib/data-model.ts';
import { queueUrlEnvVar } from '../../lib/runtime-env.ts';
import { testContext } from '../support/events.ts';
import { webhookDelivery, webhookHandlerUnderTest } from '../support/webhook-handlers.ts';

const storeId = 'str_handlertest0000001';
const secret = 'whsec_ship_handler_test';
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/000000000000/shipping-events';
const tableName = 'salesops-main-handler-test';
const { sqs, dynamodb, handler } = webhookHandlerUnderTest(
  () => import('../../functions/shipping/webhook-handler.ts'),
  {
    [queueUrlEnvVar('shipping-events')]: queueUrl,
    [tableEnvVar(mainTable)]: tableName,
    DYNAMODB_ENDPOINT: '',
    // The 500 cases log their cause by design; the test asserts on the response instead.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  },
);
const documents = mockClient(DynamoDBDocumentClient);

afterAll(() => {
  documents.restore();
});

beforeEach(() => {
  documents.reset();
  documents
    .on(GetCommand)
    .callsFake(async (input: { Key: { pk: string } }) =>
      input.Key.pk === `STORE#${storeId}`
        ? { Item: { shippingWebhookSecrets: [{ secret, createdAt: '2026-01-01T00:00:00.000Z' }] } }
        : {},
    );
  sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
    Failed: [],
  }));
});

function trackingEvents(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    eventId: `evt_${index}`,
    carrier: 'ups',
    trackingNumber: `1Z${index}`,
    status: 'in_transit',
    occurredAt: '2026-11-28T10:00:00.000Z',
  }));
}

function sign(body: string, options: { secret?: string; timestamp?: number } = {}): string {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', options.secret ?? secret)
    .update(`${timestamp}.${body}`)
    .digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

const delivery = (body: string, signature: string | undefined, toStore = storeId) =>
  webhookDelivery(
    {
      routeKey: 'POST /v1/webhooks/shipping/{storeId}',
      path: `/v1/webhooks/shipping/${toStore}`,
      pathParameters: { storeId: toStore },
    },
    body,
    { 'x-salesops-signature': signature },
  );

const queuedBodies = () =>
  sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);

describe('the shipping webhook handler', () => {
  it.each([1, 10, 11, 25, 100])(
    'accepts %i events with one GetItem and ceil(n / 10) SendMessageBatch calls, nothing else',
    async (count) => {
      const body = JSON.stringify({ events: trackingEvents(count) });
      const response = await handler(delivery(body, sign(body)), testContext('shippingWebhook'));
      expect(response.statusCode).toBe(202);
      expect(JSON.parse(response.body ?? '')).toEqual({ accepted: count });

      expect(documents.calls()).toHaveLength(1);
      expect(documents.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: tableName,
        Key: { pk: `STORE#${storeId}`, sk: '#STORE' },
        ProjectionExpression: '#secrets',
        ExpressionAttributeNames: { '#secrets': 'shippingWebhookSecrets' },
        ConsistentRead: true,
      });
      expect(dynamodb.calls()).toHaveLength(0);
      const batches = sqs.commandCalls(SendMessageBatchCommand);
      expect(batches).toHaveLength(Math.ceil(count / 10));
      expect(sqs.calls()).toHaveLength(batches.length);
      for (const batch of batches) {
        expect(batch.args[0].input.QueueUrl).toBe(queueUrl);
        expect(batch.args[0].input.Entries?.length).toBeLessThanOrEqual(10);
      }
      const messages = queuedBodies().map((entry) => JSON.parse(entry.MessageBody ?? ''));
      expect(messages.map((message) => message.event)).toEqual(trackingEvents(count));
      for (const message of messages) {
        expect(message).toEqual({ storeId, event: expect.any(Object), receivedAt: expect.any(String) });
        expect(Math.abs(Date.parse(message.receivedAt) - Date.now())).toBeLessThan(60_000);
      }
    },
  );

  it('sends the entries SQS refused once more, and answers 202 when they are taken then', async () => {
    let calls = 0;
    sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => {
      calls++;
      const refused = calls <= 2 ? input.Entries.slice(0, 2) : [];
      return {
        Successful: input.Entries.filter((entry) => !refused.includes(entry)).map((entry) => ({
          Id: entry.Id,
          MessageId: `m-${entry.Id}`,
        })),
        Failed: refused.map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })),
      };
    });
    const body = JSON.stringify({ events: trackingEvents(15) });
    const response = await handler(delivery(body, sign(body)), testContext('shippingWebhook'));
    expect(response.statusCode).toBe(202);
    const batches = sqs.commandCalls(SendMessageBatchCommand);
    expect(batches).toHaveLength(3);
    // The retry carries only the four refused entries, in one call.
    expect(batches[2]?.args[0].input.Entries?.map((entry) => entry.Id).sort()).toEqual([
      '0',
      '1',
      '10',
      '11',
    ]);
  });

  it('answers 500 when SQS refuses an entry twice, so that the carrier retries the delivery', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.slice(1).map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
      Failed: input.Entries.slice(0, 1).map((entry) => ({
        Id: entry.Id,
        Code: 'InternalError',
        SenderFault: false,
      })),
    }));
    const body = JSON.stringify({ events: trackingEvents(3) });
    const response = await handler(delivery(body, sign(body)), testContext('shippingWebhook'));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'internal', status: 500 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it('answers 500 when SQS cannot be reached at all', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('queue unavailable'));
    const body = JSON.stringify({ events: trackingEvents(1) });
    const response = await handler(delivery(body, sign(body)), testContext('shippingWebhook'));
    expect(response.statusCode).toBe(500);
  });

  const body = JSON.stringify({ events: trackingEvents(2) });
  it.each([
    ['unsigned', undefined, body],
    ['wrong secret', sign(body, { secret: 'whsec_ship_other' }), body],
    ['stale', sign(body, { timestamp: Math.floor(Date.now() / 1000) - 301 }), body],
    ['tampered', sign(body), body.replace('in_transit', 'delivered')],
  ])('answers 400 invalid_signature to a %s delivery and sends nothing', async (_name, signature, sent) => {
    const response = await handler(delivery(sent, signature), testContext('shippingWebhook'));
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'invalid_signature', status: 400 });
    expect(documents.commandCalls(GetCommand)).toHaveLength(1);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('answers an unknown store exactly as a bad signature, and sends nothing', async () => {
    const unknown = await handler(
      delivery(body, sign(body), 'str_nosuchstore000000'),
      testContext('shippingWebhook'),
    );
    const forged = await handler(
      delivery(body, sign(body, { secret: 'whsec_ship_other' })),
      testContext('shippingWebhook'),
    );
    const { requestId: _unknownId, ...unknownProblem } = JSON.parse(unknown.body ?? '');
    const { requestId: _forgedId, ...forgedProblem } = JSON.parse(forged.body ?? '');
    expect(unknown.statusCode).toBe(400);
    expect(unknownProblem).toEqual(forgedProblem);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('answers 413 to a body over 256 KiB before any other work', async () => {
    const large = JSON.stringify({ events: trackingEvents(1), padding: 'x'.repeat(256 * 1024) });
    const response = await handler(delivery(large, sign(large)), testContext('shippingWebhook'));
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'payload_too_large' });
    expect(documents.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('answers 400 validation_failed naming the field when a well-signed body is not valid', async () => {
    const events = trackingEvents(5);
    const invalid = JSON.stringify({
      events: events.map((event, index) => (index === 3 ? { ...event, status: 'lost' } : event)),
    });
    const response = await handler(delivery(invalid, sign(invalid)), testContext('shippingWebhook'));
    expect(response.statusCode).toBe(400);
    const problem = JSON.parse(response.body ?? '');
    expect(problem).toMatchObject({ code: 'validation_failed' });
    expect(problem.errors).toEqual([{ path: '/events/3/status', message: expect.any(String) }]);
    expect(sqs.calls()).toHaveLength(0);
  });
});
