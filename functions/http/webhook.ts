/**
 * The edge the webhook receivers share (Stripe's, contract section 6; the carriers', section 7):
 * the raw body within the contract's 256 KiB limit before any verification work, header lookup,
 * and answers carrying `X-Request-Id`, as problem+json for the sender's mistakes and a bare 500
 * otherwise, so that the sender retries what was not accepted. Apart from ./api.ts so that a
 * receiver's bundle holds no middy, routing, auth or idempotency code.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../adapters/logger.ts';
import { type ApiError, InvalidSignature, PayloadTooLarge, ValidationFailed } from '../domain/errors.ts';
import { internalProblem, problemFor, problemResponse } from './problem.ts';

/** The contract's body limit (section 1). */
export const maxWebhookBodyBytes = 256 * 1024;

/**
 * A Lambda handler that reads the body and hands it to `accept`. A failure that is not the
 * sender's is logged under `failureMessage`, with the request id, and answers 500.
 */
export function webhookReceiver(
  failureMessage: string,
  accept: (event: APIGatewayProxyEventV2, rawBody: Buffer) => Promise<APIGatewayProxyStructuredResultV2>,
) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext.requestId;
    const respond = (response: APIGatewayProxyStructuredResultV2) => ({
      ...response,
      headers: { ...response.headers, 'x-request-id': requestId },
    });
    try {
      return respond(await accept(event, rawBodyOf(event)));
    } catch (error) {
      if (isClientError(error)) return respond(problemResponse(problemFor(error, requestId)));
      logger.error(failureMessage, {
        requestId,
        error: error instanceof Error ? error : String(error),
      });
      return respond(problemResponse(internalProblem(requestId)));
    }
  };
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function isClientError(error: unknown): error is ApiError {
  return (
    error instanceof InvalidSignature || error instanceof PayloadTooLarge || error instanceof ValidationFailed
  );
}

function rawBodyOf(event: APIGatewayProxyEventV2): Buffer {
  const body =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > maxWebhookBodyBytes) {
    throw new PayloadTooLarge(
      `The request body is ${body.length} bytes; the limit is ${maxWebhookBodyBytes} (256 KiB).`,
    );
  }
  return body;
}
