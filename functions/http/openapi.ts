/**
 * /openapi.json (OpenAPI 3.1), generated from the same zod schemas that validate requests, for
 * exactly the routes of lib/topology.ts: a route without an operation fails the build of the
 * document (and its test) rather than going undescribed.
 */
import * as z from 'zod/mini';
import { allRoutes } from '../../lib/topology.ts';
import type { ErrorCode } from '../domain/errors.ts';
import type { Operation } from './operation.ts';
import { statusByCode } from './problem.ts';

type JsonSchema = Record<string, unknown>;

const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return json;
}

export function openApiDocument(operations: readonly Operation[]): Record<string, unknown> {
  const byRoute = new Map(operations.map((operation) => [operation.route as string, operation]));
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { route } of allRoutes()) {
    const operation = byRoute.get(route.key);
    if (operation === undefined) throw new Error(`route ${route.key} has no operation`);
    const [method = '', path = ''] = route.key.split(' ');
    paths[path] ??= {};
    const pathItem = paths[path];
    if (pathItem !== undefined) pathItem[method.toLowerCase()] = describe(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sales Ops HTTP API',
      version: '1.0.0',
      description: 'Checkout, orders, payments, fraud, shipping and KPIs for online stores. Contract v1.',
    },
    components: {
      securitySchemes: {
        storeApiKey: { type: 'http', scheme: 'bearer', description: "The store's API key" },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The deployment admin token' },
      },
      schemas: { Problem: schemaOf(ProblemSchema, 'output') },
    },
    paths,
  };
}

function describe(operation: Operation): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const [location, schema] of [
    ['path', operation.params],
    ['query', operation.query],
  ] as const) {
    if (schema === undefined) continue;
    const json = schemaOf(schema, 'input');
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      parameters.push({
        name,
        in: location,
        required: location === 'path' || required.has(name),
        schema: property,
      });
    }
  }
  if (operation.auth === 'store' && operation.route.startsWith('POST ')) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    responses[status] =
      response.schema === undefined
        ? { description: response.description }
        : {
            description: response.description,
            content: { 'application/json': { schema: schemaOf(response.schema(), 'output') } },
          };
  }
  const codes: ErrorCode[] = [...operation.errors, 'internal'];
  if (operation.auth !== 'none') codes.push('unauthorized');
  if (operation.body !== undefined) codes.push('payload_too_large', 'validation_failed');
  if (operation.auth === 'store' && operation.route.startsWith('POST ')) {
    codes.push('idempotency_key_in_use', 'idempotency_key_reused');
  }
  for (const code of new Set(codes)) {
    const status = String(statusByCode[code]);
    const existing = responses[status] as { description: string } | undefined;
    responses[status] = {
      description: existing === undefined ? code : `${existing.description}, ${code}`,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    operationId: operationId(operation.route),
    summary: operation.summary,
    tags: [operation.tag],
    ...(operation.auth === 'store' ? { security: [{ storeApiKey: [] }] } : {}),
    ...(operation.auth === 'admin' ? { security: [{ adminToken: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(operation.body, 'input') } },
          },
        }),
    responses,
  };
}

function operationId(route: string): string {
  return route
    .replace(/[{}]/g, '')
    .split(/[\s/.-]+/)
    .filter((part) => part !== '')
    .map((part, index) => (index === 0 ? part.toLowerCase() : part[0]?.toUpperCase() + part.slice(1)))
    .join('');
}
