import { invalidParameter } from './errors.ts';

/** Fields holding another object's id that Stripe lets `expand[]` replace with the object. */
const EXPANDABLE_FIELDS = new Set(['latest_charge', 'payment_intent', 'charge']);

export type ObjectLookup = (id: string) => object | undefined;

/**
 * Stripe's `expand[]`: each path (`latest_charge`, `data.charge`, `latest_charge.payment_intent`)
 * replaces an id by the object it names. Returns a copy; the stored objects are left untouched.
 */
export function expand<T extends object>(value: T, paths: readonly string[], lookup: ObjectLookup): T {
  let result: object = value;
  for (const path of paths) result = expandPath(result, path.split('.'), path, lookup);
  return result as T;
}

function expandPath(node: object, segments: readonly string[], path: string, lookup: ObjectLookup): object {
  const [field, ...rest] = segments;
  if (field === undefined) return node;
  if (Array.isArray(node)) return node.map((item: unknown) => expandValue(item, segments, path, lookup));
  const record = node as Record<string, unknown>;
  if (!(field in record)) throw notExpandable(path);
  let child = record[field];
  if (typeof child === 'string') {
    if (!EXPANDABLE_FIELDS.has(field)) throw notExpandable(path);
    child = lookup(child);
    if (child === undefined) throw notExpandable(path);
  } else if (field !== 'data' && rest.length === 0 && !EXPANDABLE_FIELDS.has(field)) {
    throw notExpandable(path);
  }
  return { ...record, [field]: expandValue(child, rest, path, lookup) };
}

function expandValue(
  value: unknown,
  segments: readonly string[],
  path: string,
  lookup: ObjectLookup,
): unknown {
  if (value === null || typeof value !== 'object' || segments.length === 0) return value;
  return expandPath(value, segments, path, lookup);
}

function notExpandable(path: string): ReturnType<typeof invalidParameter> {
  return invalidParameter('expand', `This property cannot be expanded (${path}).`);
}
