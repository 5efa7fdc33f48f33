import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttribute,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';

/** The account id that the local emulators (fauxqs) put in ARNs. */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Short long polls, so that `stop()` returns within about a second. */
const WAIT_TIME_SECONDS = 1;
/** SQS returns at most 10 messages per receive. */
const MAX_MESSAGES_PER_RECEIVE = 10;
const RETRY_AFTER_RECEIVE_ERROR_MS = 1_000;

/**
 * A Lambda-like invocation context, one per invocation (it carries a fresh `awsRequestId` and the
 * deadline that `getRemainingTimeInMillis()` counts down to).
 */
export function lambdaContext(functionName: string, timeoutSeconds: number, memoryMb = 128): Context {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const deadline = Date.now() + timeoutSeconds * 1000;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (method: string) => (): never => {
    throw new Error(`context.${method}() is not supported locally: return or throw from the async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

export interface SqsPollerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  /** Messages per invocation; SQS caps one receive at 10, so larger values act as 10. */
  readonly batchSize: number;
  /** Visibility timeout requested on each receive: how long until a failed message reappears. */
  readonly visibilityTimeoutSeconds: number;
  // biome-ignore lint/suspicious/noConfusingVoidType: the return type of aws-lambda's SQSHandler, so handlers that return nothing fit
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
  /** Called with receive, handler and delete errors; the default writes the error's message to stderr. */
  readonly onError?: (error: unknown) => void;
  /** The context's `functionName`; defaults to the queue's name. */
  readonly functionName?: string;
  /** The context's timeout (for `getRemainingTimeInMillis`); defaults to 30 s. */
  readonly timeoutSeconds?: number;
}

/**
 * Does locally what Lambda's SQS event source mapping does with `reportBatchItemFailures`: receives
 * batches, invokes the handler with an `SQSEvent`, deletes the messages that succeeded and leaves the
 * others to reappear after the visibility timeout (and, past the queue's `maxReceiveCount`, to move to
 * its dead-letter queue). A thrown error or an invalid `batchItemFailures` fails the whole batch.
 * Batches are processed one at a time.
 */
export function startSqsPoller(options: SqsPollerOptions): { stop(): Promise<void> } {
  const { client, queueUrl, queueArn, handler } = options;
  const region = queueArn.split(':')[3] ?? 'us-east-1';
  const queueName = queueArn.split(':')[5] ?? queueUrl;
  const functionName = options.functionName ?? queueName;
  const timeoutSeconds = options.timeoutSeconds ?? 30;
  const maxMessages = Math.min(Math.max(1, Math.floor(options.batchSize)), MAX_MESSAGES_PER_RECEIVE);
  const reportError =
    options.onError ??
    ((error: unknown) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.stderr.write(`[sqs-poller ${queueName}] ${message}\n`);
    });

  let stopped = false;
  let wakeUp = (): void => {};
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const processBatch = async (messages: Message[]): Promise<void> => {
    const records = messages.map((message) => toRecord(message, queueArn, region));
    let response: unknown;
    try {
      response = await handler({ Records: records }, lambdaContext(functionName, timeoutSeconds));
    } catch (error) {
      reportError(error);
      return;
    }
    const failedIds = failedMessageIds(response, records);
    if (failedIds === 'whole batch') {
      reportError(new Error('Invalid batchItemFailures in the handler response: the whole batch failed'));
      return;
    }
    const succeeded = records.filter((record) => !failedIds.has(record.messageId));
    if (succeeded.length === 0) {
      return;
    }
    try {
      const result = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: succeeded.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
      for (const failure of result.Failed ?? []) {
        reportError(new Error(`Could not delete a processed message: ${failure.Code} ${failure.Message}`));
      }
    } catch (error) {
      reportError(error);
    }
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      let messages: Message[];
      try {
        const received = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: WAIT_TIME_SECONDS,
            VisibilityTimeout: options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (stopped) {
          return;
        }
        reportError(error);
        await pause(RETRY_AFTER_RECEIVE_ERROR_MS);
        continue;
      }
      if (messages.length > 0) {
        await processBatch(messages).catch(reportError);
      }
    }
  };

  const running = run();
  return {
    stop: async () => {
      stopped = true;
      wakeUp();
      await running;
    },
  };
}

/** Which records failed, per Lambda's rules for `reportBatchItemFailures`. */
function failedMessageIds(response: unknown, records: readonly SQSRecord[]): Set<string> | 'whole batch' {
  if (response === undefined || response === null) {
    return new Set();
  }
  if (typeof response !== 'object') {
    return 'whole batch';
  }
  const failures: unknown = 'batchItemFailures' in response ? response.batchItemFailures : undefined;
  if (failures === undefined || failures === null) {
    return new Set();
  }
  if (!Array.isArray(failures)) {
    return 'whole batch';
  }
  const batchIds = new Set(records.map((record) => record.messageId));
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id: unknown =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
        ? failure.itemIdentifier
        : undefined;
    // An identifier that is missing, empty or not in this batch makes Lambda retry the whole batch.
    if (typeof id !== 'string' || !batchIds.has(id)) {
      return 'whole batch';
    }
    failedIds.add(id);
  }
  return failedIds;
}

function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const { MessageId, ReceiptHandle } = message;
  if (MessageId === undefined || ReceiptHandle === undefined) {
    throw new Error('ReceiveMessage returned a message without MessageId or ReceiptHandle');
  }
  const body = message.Body ?? '';
  const record: SQSRecord = {
    messageId: MessageId,
    receiptHandle: ReceiptHandle,
    body,
    attributes: recordAttributes(message.Attributes ?? {}),
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, recordAttribute(value)]),
    ),
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes !== undefined) {
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  }
  return record;
}

function recordAttributes(attributes: Partial<Record<string, string>>): SQSRecordAttributes {
  const now = String(Date.now());
  const result: SQSRecordAttributes = {
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
    SentTimestamp: attributes.SentTimestamp ?? now,
    SenderId: attributes.SenderId ?? LOCAL_ACCOUNT_ID,
    ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? now,
  };
  for (const optional of [
    'AWSTraceHeader',
    'SequenceNumber',
    'MessageGroupId',
    'MessageDeduplicationId',
    'DeadLetterQueueSourceArn',
  ] as const) {
    const value = attributes[optional];
    if (value !== undefined) {
      result[optional] = value;
    }
  }
  return result;
}

/** Lambda's shape: camel-cased fields, binary as base64, and the always-empty list fields. */
function recordAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  const attribute: SQSMessageAttribute = {
    stringListValues: [],
    binaryListValues: [],
    dataType: value.DataType ?? 'String',
  };
  if (value.StringValue !== undefined) {
    attribute.stringValue = value.StringValue;
  }
  if (value.BinaryValue !== undefined) {
    attribute.binaryValue = Buffer.from(value.BinaryValue).toString('base64');
  }
  return attribute;
}
