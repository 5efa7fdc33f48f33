import { invalidParameter, parameterMissing, parameterUnknown } from './errors.ts';

/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracket notation, as the
 * official SDKs and Stripe.js send it: `metadata[orderId]=o1`, `expand[]=latest_charge`,
 * `expand[0]=latest_charge`, `items[0][price]=p1`. The same encoding is used in query strings.
 */
export type FormValue = string | readonly FormValue[] | FormObject;
export interface FormObject {
  readonly [key: string]: FormValue;
}

interface ContainerNode {
  kind: 'container';
  entries: Map<string, FormNode>;
  /** True while every key seen is an index (`[0]`) or an append (`[]`). */
  indexed: boolean;
}
type FormNode = { kind: 'value'; value: string } | ContainerNode;

const KEY_PATTERN = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

export function parseForm(text: string): FormObject {
  const root: ContainerNode = { kind: 'container', entries: new Map(), indexed: false };
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const rawKey = separator === -1 ? pair : pair.slice(0, separator);
    const rawValue = separator === -1 ? '' : pair.slice(separator + 1);
    const key = decodeComponent(rawKey);
    insert(root, splitKey(key), decodeComponent(rawValue));
  }
  const result = toValue(root);
  return isFormObject(result) ? result : {};
}

function decodeComponent(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A stray `%` is kept literally rather than rejecting the whole request.
    return spaced;
  }
}

function splitKey(key: string): string[] {
  const match = KEY_PATTERN.exec(key);
  if (!match?.[1]) return [key];
  const brackets = match[2] ?? '';
  const segments = [...brackets.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '');
  return [match[1], ...segments];
}

function insert(root: ContainerNode, segments: readonly string[], value: string): void {
  let node = root;
  segments.forEach((segment, index) => {
    const isIndex = segment === '' || /^\d+$/.test(segment);
    if (!isIndex) node.indexed = false;
    const key = segment === '' ? String(node.entries.size) : segment;
    const last = index === segments.length - 1;
    if (last) {
      node.entries.set(key, { kind: 'value', value });
      return;
    }
    const existing = node.entries.get(key);
    if (existing?.kind === 'container') {
      node = existing;
    } else {
      const child: ContainerNode = { kind: 'container', entries: new Map(), indexed: true };
      node.entries.set(key, child);
      node = child;
    }
  });
}

function toValue(node: FormNode): FormValue {
  if (node.kind === 'value') return node.value;
  if (node.indexed && node.entries.size > 0) {
    return [...node.entries.entries()]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, child]) => toValue(child));
  }
  const object: Record<string, FormValue> = {};
  for (const [key, child] of node.entries) object[key] = toValue(child);
  return object;
}

export function isFormObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && !Array.isArray(value);
}

/** JSON with sorted keys: two requests with the same parameters in any order compare equal. */
export function canonicalJson(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = value as FormObject;
  const keys = Object.keys(object).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key] ?? '')}`).join(',')}}`;
}

/**
 * Typed, Stripe-like reading of request parameters. Each reader marks the parameter as known, so
 * `rejectUnknown()` can answer `parameter_unknown` for anything else, as Stripe does.
 */
export class Params {
  private readonly read = new Set<string>();

  constructor(
    private readonly values: FormObject,
    private readonly path: string = '',
  ) {}

  /** Marks parameters that are accepted and deliberately ignored. */
  ignore(...names: string[]): void {
    for (const name of names) this.read.add(name);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** An empty string is Stripe's way to unset a value, so it reads as absent. */
  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string')
      throw invalidParameter(this.name(name), `Invalid string: ${this.name(name)}`);
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw parameterMissing(this.name(name));
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw invalidParameter(this.name(name), `Invalid integer: ${value}`, 'parameter_invalid_integer');
    }
    return Number(value);
  }

  requiredInteger(name: string): number {
    const value = this.integer(name);
    if (value === undefined) throw parameterMissing(this.name(name));
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') {
      throw invalidParameter(this.name(name), `Invalid boolean: ${value}`);
    }
    return value === 'true';
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) {
      throw invalidParameter(
        this.name(name),
        `Invalid ${this.name(name)}: must be one of ${allowed.join(', ')}`,
      );
    }
    return match;
  }

  stringList(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined || value === '') return undefined;
    const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
    if (items === undefined || !items.every((item): item is string => typeof item === 'string')) {
      throw invalidParameter(this.name(name), `Invalid array: ${this.name(name)}`);
    }
    return items;
  }

  /**
   * Stripe's metadata: string keys (≤ 40 chars) to string values (≤ 500 chars), at most 50.
   * An empty value asks to remove that key; `metadata=` (empty) asks to remove them all, read as `null`.
   */
  metadata(name = 'metadata'): Record<string, string> | null | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (value === '') return null;
    if (typeof value === 'string') throw invalidParameter(name, 'Invalid object');
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    if (entries.length > 50) throw invalidParameter(name, 'Metadata can have at most 50 keys.');
    const metadata: Record<string, string> = {};
    for (const [key, item] of entries) {
      if (typeof item !== 'string') throw invalidParameter(`${name}[${key}]`, 'Invalid string');
      if (key.length > 40)
        throw invalidParameter(`${name}[${key}]`, 'Metadata keys can be at most 40 characters.');
      if (item.length > 500)
        throw invalidParameter(`${name}[${key}]`, 'Metadata values can be at most 500 characters.');
      metadata[key] = item;
    }
    return metadata;
  }

  nested(name: string): Params | undefined {
    const value = this.raw(name);
    if (value === undefined || value === '') return undefined;
    if (!isFormObject(value)) throw invalidParameter(this.name(name), `Invalid object: ${this.name(name)}`);
    return new Params(value, this.name(name));
  }

  /** The `expand[]` parameter every Stripe endpoint takes. */
  expand(): string[] {
    return this.stringList('expand') ?? [];
  }

  rejectUnknown(): void {
    const unknown = Object.keys(this.values).find((key) => !this.read.has(key));
    if (unknown !== undefined) throw parameterUnknown(this.name(unknown));
  }

  private raw(name: string): FormValue | undefined {
    this.read.add(name);
    return this.values[name];
  }

  private name(name: string): string {
    return this.path === '' ? name : `${this.path}[${name}]`;
  }
}
