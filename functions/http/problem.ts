import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError, type ErrorCode } from '../domain/errors.ts';

/** The contract's status for each error code (section 9). */
export const statusByCode: Readonly<Record<ErrorCode, number>> = {
  validation_failed: 400,
  invalid_signature: 400,
  unauthorized: 401,
  not_found: 404,
  out_of_stock: 409,
  invalid_state: 409,
  idempotency_key_in_use: 409,
  duplicate_tracking_number: 409,
  payload_too_large: 413,
  unknown_sku: 422,
  currency_mismatch: 422,
  unsupported_currency: 422,
  amount_out_of_range: 422,
  invalid_coupon: 422,
  idempotency_key_reused: 422,
  over_fulfilment: 422,
  refund_exceeds_captured: 422,
  rate_limited: 429,
  internal: 500,
  upstream_unavailable: 503,
};

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly requestId: string;
  readonly errors?: readonly { path: string; message: string }[];
}

export function problemFor(error: ApiError, requestId: string): Problem {
  const status = statusByCode[error.code];
  return {
    type: `https://docs.salesops.dev/errors/${error.code}`,
    title: titles[status] ?? 'Error',
    status,
    detail: error.message,
    code: error.code,
    requestId,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  };
}

/** What a client sees of an unexpected failure: nothing about its cause. */
export function internalProblem(requestId: string): Problem {
  return {
    type: 'https://docs.salesops.dev/errors/internal',
    title: titles[500] ?? 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred. Retry later; quote the requestId if it persists.',
    code: 'internal',
    requestId,
  };
}

export function problemResponse(problem: Problem): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify(problem),
  };
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
