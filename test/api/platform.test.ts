import { describe, expect, it } from 'vitest';
import { allRoutes } from '../../lib/topology.ts';
import { call } from '../support/api.ts';

describe('health, docs and conventions (contract sections 1 and 10)', () => {
  it('GET /health answers ok without auth, with a request id', async () => {
    const response = await call('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/.{8,}/);
  });

  it('GET /openapi.json describes exactly the served routes, as OpenAPI 3.1', async () => {
    const response = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/openapi.json',
    );
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const described = Object.entries(response.body.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(
      allRoutes()
        .map(({ route }) => route.key)
        .sort(),
    );
    const checkout = response.body.paths['/v1/checkouts']?.post as {
      requestBody: { content: Record<string, { schema: { additionalProperties: unknown } }> };
    };
    expect(checkout.requestBody.content['application/json']?.schema.additionalProperties).toBe(false);
    expect(JSON.stringify(response.body)).not.toContain('paymentFacts');
  });

  it('every response carries a distinct X-Request-Id that also appears in problem bodies', async () => {
    const [first, second] = await Promise.all([call('GET', '/v1/store'), call('GET', '/v1/store')]);
    expect(first.status).toBe(401);
    expect(first.headers.get('content-type')).toBe('application/problem+json');
    expect(first.body.requestId).toBe(first.headers.get('x-request-id'));
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });
});
