/**
 * The shipping events consumer: each SQS record is one verified tracking event. Records fail and
 * retry one by one (partial batch responses); a malformed one fails on every receive and goes to
 * the DLQ after `maxReceiveCount`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { documentClient, mainTableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { TrackingRepository } from '../adapters/tracking-repository.ts';
import { applyTrackingEvent } from './apply-tracking-event.ts';
import { ShippingEventMessage } from './event-message.ts';

const tracking = new TrackingRepository(documentClient, mainTableName());
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  // Throws on a malformed body, so the record is retried and then dead-lettered, never dropped.
  const message = ShippingEventMessage.parse(JSON.parse(record.body));
  const outcome = await applyTrackingEvent({ tracking }, message);
  logger.debug('tracking event processed', {
    storeId: message.storeId,
    eventId: message.event.eventId,
    outcome,
  });
}

export async function handler(event: SQSEvent, context: Context) {
  return processPartialResponse(event, processRecord, processor, { context });
}
