/** A small client for the running local stack, as a store's backend would call it. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface RequestOptions {
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${inject('apiUrl')}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? {} : JSON.parse(text)) as T,
  };
}

export interface TestStore {
  readonly id: string;
  readonly apiKey: string;
  readonly shippingWebhookSecret: string;
  readonly call: <T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: RequestOptions,
  ) => Promise<ApiResponse<T>>;
}

export async function createStore(
  input: { name?: string; timezone?: string; settings?: unknown } = {},
): Promise<TestStore> {
  const created = await call<{ id: string; apiKey: string; shippingWebhookSecret: string }>(
    'POST',
    '/admin/v1/stores',
    {
      token: inject('adminToken'),
      body: {
        name: input.name ?? `Store ${randomUUID().slice(0, 8)}`,
        ...(input.timezone ? { timezone: input.timezone } : {}),
      },
    },
  );
  if (created.status !== 201)
    throw new Error(`store creation failed: ${created.status} ${JSON.stringify(created.body)}`);
  const { id, apiKey, shippingWebhookSecret } = created.body;
  const store: TestStore = {
    id,
    apiKey,
    shippingWebhookSecret,
    call: (method, path, options = {}) => call(method, path, { ...options, token: options.token ?? apiKey }),
  };
  if (input.settings !== undefined) {
    const patched = await store.call('PATCH', '/v1/store', { body: { settings: input.settings } });
    if (patched.status !== 200) throw new Error(`settings failed: ${JSON.stringify(patched.body)}`);
  }
  return store;
}

export async function putProduct(
  store: TestStore,
  sku: string,
  product: { name?: string; unitAmount: number; currency?: string; stock: number; active?: boolean },
) {
  const response = await store.call('PUT', `/v1/products/${sku}`, {
    body: { name: product.name ?? sku, currency: 'usd', ...product },
  });
  if (response.status !== 200) throw new Error(`product failed: ${JSON.stringify(response.body)}`);
  return response.body;
}

export const address = {
  line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postalCode: '94105',
  country: 'US',
};

export function checkoutBody(
  items: { sku: string; quantity: number }[],
  extra: Record<string, unknown> = {},
) {
  return {
    currency: 'usd',
    items,
    customer: { email: `shopper-${randomUUID().slice(0, 8)}@example.com`, type: 'b2c' },
    shippingAddress: address,
    ...extra,
  };
}

/** Expects a problem+json body with the given status and code; returns it for further checks. */
export function problem(response: ApiResponse) {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    code: response.body.code,
    body: response.body as {
      code: string;
      status: number;
      detail: string;
      requestId: string;
      errors?: { path: string; message: string }[];
    },
  };
}
