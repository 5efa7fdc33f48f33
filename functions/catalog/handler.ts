import { CatalogRepository } from '../adapters/catalog-repository.ts';
import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { systemClock } from '../adapters/system.ts';
import { NotFound, OutOfStock } from '../domain/errors.ts';
import { httpHandler, ok, storeRoute } from '../http/api.ts';
import {
  adjustStockOperation,
  getCouponOperation,
  getProductOperation,
  listProductsOperation,
  putCouponOperation,
  putProductOperation,
} from './api.ts';

const tableName = mainTableName();
const catalog = new CatalogRepository(documentClient, tableName);
const authenticator = new StoresRepository(documentClient, tableName);
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());
const now = () => systemClock.now().toISOString();

export const handler = httpHandler([
  storeRoute(listProductsOperation, { authenticator }, async ({ store, query }) =>
    ok(await catalog.listProducts(store.id, query.limit, query.cursor)),
  ),

  storeRoute(putProductOperation, { authenticator }, async ({ store, params, body }) => {
    const product = { sku: params.sku, ...body, updatedAt: now() };
    await catalog.putProduct(store.id, product);
    return ok(product);
  }),

  storeRoute(getProductOperation, { authenticator }, async ({ store, params }) => {
    const product = await catalog.getProduct(store.id, params.sku);
    if (product === undefined) throw new NotFound(`No product with sku "${params.sku}".`);
    return ok(product);
  }),

  storeRoute(adjustStockOperation, { authenticator, idempotency }, async ({ store, params, body }) => {
    const result = await catalog.adjustStock(store.id, params.sku, body.delta, now());
    switch (result.outcome) {
      case 'adjusted':
        return ok(result.product);
      case 'not_found':
        throw new NotFound(`No product with sku "${params.sku}".`);
      case 'insufficient':
        throw new OutOfStock(`The stock of "${params.sku}" is ${result.stock}; it cannot go below 0.`, {
          errors: [{ path: '/delta', message: `at least ${-result.stock} allowed` }],
        });
    }
  }),

  storeRoute(putCouponOperation, { authenticator }, async ({ store, params, body }) =>
    ok(await catalog.putCoupon(store.id, { code: params.code, ...body, updatedAt: now() })),
  ),

  storeRoute(getCouponOperation, { authenticator }, async ({ store, params }) => {
    const coupon = await catalog.getCoupon(store.id, params.code);
    if (coupon === undefined) throw new NotFound(`No coupon with code "${params.code}".`);
    return ok(coupon);
  }),
]);
