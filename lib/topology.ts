/**
 * The one definition of what Sales Ops runs: its functions, the HTTP routes each one serves, the
 * queues it consumes and the schedules that invoke it. The CDK stack (lib/) and the local stack
 * (bin/local/) are both built from this object, so the two cannot drift; test/infra proves it.
 *
 * Plain data on purpose: Lambda bundles and the OpenAPI generator import it without pulling in CDK.
 */

/** A capability owns its functions; each capability becomes one CDK construct. */
export type Capability =
  | 'platform'
  | 'stores'
  | 'catalog'
  | 'checkout'
  | 'orders'
  | 'payments'
  | 'fraud'
  | 'shipping'
  | 'reporting';

/** Heavy packages a function may load lazily from beside its bundle (lib/bundling.ts ships them). */
export type SideLoadedPackage =
  | 'stripe'
  | 'disposable-email-domains'
  | '@aws-lambda-powertools/logger'
  | 'zod/locales';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An API Gateway HTTP API route key, e.g. `POST /v1/checkouts` or `GET /v1/orders/{orderId}`. */
export type RouteKey = `${HttpMethod} /${string}`;

/** How a route authenticates; the webhooks verify signatures instead of bearer tokens. */
export type RouteAuth = 'none' | 'admin' | 'store';

export interface RouteDefinition {
  readonly key: RouteKey;
  readonly auth: RouteAuth;
}

export interface QueueDefinition {
  /** Logical name, used for construct ids, env vars and local queue names. */
  readonly name: string;
  /** Deliveries before a message is moved to the queue's dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly batchSize: number;
}

export interface ScheduleDefinition {
  readonly name: string;
  /** Minutes between runs; the CDK stack turns it into `rate(n minutes)`. */
  readonly everyMinutes: number;
}

/** What a function may touch; the CDK stack turns this into least-privilege grants. */
export interface FunctionAccess {
  readonly table?: 'read' | 'readWrite';
  readonly idempotencyTable?: boolean;
  readonly stripe?: boolean;
  readonly adminToken?: boolean;
  /** Reads the Stripe webhook signing secret (the webhook receiver). */
  readonly stripeWebhook?: boolean;
  /** Reads the HMAC key of customer emails (dispute history, fraud signals). */
  readonly emailHashKey?: boolean;
  /** Queues this function sends to, by logical name. */
  readonly sendsTo?: readonly string[];
}

export interface FunctionDefinition {
  readonly capability: Capability;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly routes?: readonly RouteDefinition[];
  /** The queue this function consumes, by logical name. */
  readonly consumes?: string;
  readonly schedules?: readonly ScheduleDefinition[];
  /**
   * Packages shipped beside the function's bundle instead of inside it, loaded by `import()` on
   * first use (see lib/bundling.ts): their parsing is not paid on every cold start.
   */
  readonly sideLoaded?: readonly SideLoadedPackage[];
  readonly access: FunctionAccess;
}

export const queues: readonly QueueDefinition[] = [
  // Every verified Stripe delivery, duplicates included; the consumer deduplicates.
  { name: 'payment-events', maxReceiveCount: 5, batchSize: 10 },
  // One message per authorised order to screen; the consumer is idempotent.
  { name: 'fraud-checks', maxReceiveCount: 5, batchSize: 10 },
  // One message per carrier tracking event, so that a bad event never retries its neighbours.
  { name: 'shipping-events', maxReceiveCount: 5, batchSize: 10 },
  // One store-day (or one store's periods) to roll up per message; re-running one is harmless.
  { name: 'kpi-rollups', maxReceiveCount: 5, batchSize: 1 },
];

export const functions = {
  docs: {
    capability: 'platform',
    entry: 'functions/docs/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 5,
    routes: [
      { key: 'GET /health', auth: 'none' },
      { key: 'GET /openapi.json', auth: 'none' },
    ],
    access: {},
  },
  admin: {
    capability: 'stores',
    entry: 'functions/stores/admin-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ key: 'POST /admin/v1/stores', auth: 'admin' }],
    access: { table: 'readWrite', adminToken: true },
  },
  store: {
    capability: 'stores',
    entry: 'functions/stores/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { key: 'GET /v1/store', auth: 'store' },
      { key: 'PATCH /v1/store', auth: 'store' },
      { key: 'POST /v1/store/shipping-webhook-secrets', auth: 'store' },
    ],
    access: { table: 'readWrite', idempotencyTable: true },
  },
  catalog: {
    capability: 'catalog',
    entry: 'functions/catalog/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { key: 'GET /v1/products', auth: 'store' },
      { key: 'PUT /v1/products/{sku}', auth: 'store' },
      { key: 'GET /v1/products/{sku}', auth: 'store' },
      { key: 'POST /v1/products/{sku}/stock-adjustments', auth: 'store' },
      { key: 'PUT /v1/coupons/{code}', auth: 'store' },
      { key: 'GET /v1/coupons/{code}', auth: 'store' },
    ],
    access: { table: 'readWrite', idempotencyTable: true },
  },
  checkout: {
    capability: 'checkout',
    entry: 'functions/checkout/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 15,
    routes: [{ key: 'POST /v1/checkouts', auth: 'store' }],
    access: { table: 'readWrite', idempotencyTable: true, stripe: true, emailHashKey: true },
    sideLoaded: ['stripe'],
  },
  orders: {
    capability: 'orders',
    entry: 'functions/orders/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    routes: [
      { key: 'GET /v1/orders', auth: 'store' },
      { key: 'GET /v1/orders/{orderId}', auth: 'store' },
      { key: 'POST /v1/orders/{orderId}/cancel', auth: 'store' },
      { key: 'POST /v1/orders/{orderId}/review', auth: 'store' },
      { key: 'POST /v1/orders/{orderId}/refunds', auth: 'store' },
      { key: 'GET /v1/reviews', auth: 'store' },
    ],
    access: { table: 'readWrite', idempotencyTable: true, stripe: true },
    sideLoaded: ['stripe'],
  },
  sweeper: {
    capability: 'orders',
    entry: 'functions/orders/sweeper-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 60,
    schedules: [{ name: 'sweep', everyMinutes: 1 }],
    // The email hash key: an owed dispute record (owed-effects.ts) is keyed by it.
    access: { table: 'readWrite', stripe: true, emailHashKey: true, sendsTo: ['fraud-checks'] },
    sideLoaded: ['stripe'],
  },
  stripeWebhook: {
    capability: 'payments',
    entry: 'functions/payments/webhook-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 5,
    routes: [{ key: 'POST /v1/webhooks/stripe', auth: 'none' }],
    access: { stripeWebhook: true, sendsTo: ['payment-events'] },
  },
  paymentEvents: {
    capability: 'payments',
    entry: 'functions/payments/events-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    consumes: 'payment-events',
    access: { table: 'readWrite', stripe: true, emailHashKey: true, sendsTo: ['fraud-checks'] },
    sideLoaded: ['stripe'],
  },
  fraudScreening: {
    capability: 'fraud',
    entry: 'functions/fraud/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    consumes: 'fraud-checks',
    access: { table: 'readWrite', stripe: true, emailHashKey: true },
    sideLoaded: ['stripe', 'disposable-email-domains'],
  },
  shipments: {
    capability: 'shipping',
    entry: 'functions/shipping/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    routes: [
      { key: 'POST /v1/orders/{orderId}/shipments', auth: 'store' },
      { key: 'GET /v1/shipments/{shipmentId}', auth: 'store' },
    ],
    access: { table: 'readWrite', idempotencyTable: true },
  },
  shippingWebhook: {
    capability: 'shipping',
    entry: 'functions/shipping/webhook-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 5,
    routes: [{ key: 'POST /v1/webhooks/shipping/{storeId}', auth: 'none' }],
    access: { table: 'read', sendsTo: ['shipping-events'] },
  },
  shippingEvents: {
    capability: 'shipping',
    entry: 'functions/shipping/events-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    consumes: 'shipping-events',
    access: { table: 'readWrite' },
  },
  kpis: {
    capability: 'reporting',
    entry: 'functions/kpis/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    routes: [
      { key: 'GET /v1/kpis', auth: 'store' },
      { key: 'PUT /v1/targets/{period}', auth: 'store' },
      { key: 'GET /v1/leads/abandoned', auth: 'store' },
    ],
    access: { table: 'readWrite' },
  },
  kpiJobs: {
    capability: 'reporting',
    entry: 'functions/kpis/jobs-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    routes: [
      { key: 'POST /v1/kpis/rollups', auth: 'store' },
      { key: 'GET /v1/kpis/rollups/{rollupId}', auth: 'store' },
      { key: 'POST /admin/v1/stores/{storeId}/kpis/rollups', auth: 'admin' },
      { key: 'GET /admin/v1/stores/{storeId}/kpis/rollups/{rollupId}', auth: 'admin' },
    ],
    access: { table: 'readWrite', idempotencyTable: true, adminToken: true, sendsTo: ['kpi-rollups'] },
  },
  kpiRollups: {
    capability: 'reporting',
    entry: 'functions/kpis/rollups-handler.ts',
    memoryMb: 1024,
    timeoutSeconds: 120,
    consumes: 'kpi-rollups',
    access: { table: 'readWrite', sendsTo: ['kpi-rollups'] },
  },
  kpiScheduler: {
    capability: 'reporting',
    entry: 'functions/kpis/scheduler-handler.ts',
    memoryMb: 256,
    timeoutSeconds: 60,
    schedules: [{ name: 'kpi-nightly', everyMinutes: 15 }],
    access: { table: 'readWrite', sendsTo: ['kpi-rollups'] },
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functions;

export const functionNames = Object.keys(functions) as FunctionName[];

export function functionDefinition(name: FunctionName): FunctionDefinition {
  return functions[name];
}

/** Every route with the function that serves it. */
export function allRoutes(): { functionName: FunctionName; route: RouteDefinition }[] {
  return functionNames.flatMap((functionName) =>
    (functionDefinition(functionName).routes ?? []).map((route) => ({ functionName, route })),
  );
}

/** Every schedule with the function it invokes. */
export function allSchedules(): { functionName: FunctionName; schedule: ScheduleDefinition }[] {
  return functionNames.flatMap((functionName) =>
    (functionDefinition(functionName).schedules ?? []).map((schedule) => ({ functionName, schedule })),
  );
}
