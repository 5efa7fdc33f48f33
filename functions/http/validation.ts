import type * as z from 'zod/mini';
import { type FieldProblem, ValidationFailed } from '../domain/errors.ts';

/** JSON Pointer (RFC 6901) of a zod issue path, e.g. `/items/1/quantity`. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function fieldProblems(error: z.core.$ZodError, prefix = ''): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    // An unknown property is reported once per key so that each one is named by its own path.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: prefix + jsonPointer([...issue.path, key]),
        message: 'unknown property',
      }));
    }
    return [{ path: prefix + jsonPointer(issue.path), message: issue.message }];
  });
}

/** Parses `value` with `schema` or throws `400 validation_failed` naming every bad field. */
export function parseWith<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  what: string,
  prefix = '',
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldProblems(result.error, prefix);
  const first = errors[0];
  const summary = first === undefined ? '' : `: ${first.path || '(root)'} ${first.message}`;
  throw new ValidationFailed(`The ${what} is not valid${summary}.`, { errors });
}
