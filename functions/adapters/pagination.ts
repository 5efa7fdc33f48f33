import { ValidationFailed } from '../domain/errors.ts';

/** An opaque cursor: DynamoDB's LastEvaluatedKey, base64url-encoded JSON. */
export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | null {
  return lastKey === undefined ? null : Buffer.from(JSON.stringify(lastKey)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationFailed('The cursor is not one this API returned.', {
    errors: [{ path: '/query/cursor', message: 'invalid cursor' }],
  });
}

export interface Page<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
}
