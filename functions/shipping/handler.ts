import { documentClient, idempotencyTableName, mainTableName } from '../adapters/dynamodb.ts';
import { dynamoIdempotencyGuard } from '../adapters/idempotency.ts';
import { ShipmentsRepository } from '../adapters/shipments-repository.ts';
import { StoresRepository } from '../adapters/stores-repository.ts';
import { randomIds, systemClock } from '../adapters/system.ts';
import { created, httpHandler, ok, storeRoute } from '../http/api.ts';
import { createShipmentOperation, getShipmentOperation } from './api.ts';
import { createShipment } from './create-shipment.ts';
import { getShipment } from './get-shipment.ts';

const tableName = mainTableName();
const shipments = new ShipmentsRepository(documentClient, tableName);
const authenticator = new StoresRepository(documentClient, tableName);
const idempotency = dynamoIdempotencyGuard(documentClient, idempotencyTableName());

export const handler = httpHandler([
  storeRoute(createShipmentOperation, { authenticator, idempotency }, async ({ store, params, body }) =>
    created(
      await createShipment(
        { shipments, clock: systemClock, ids: randomIds },
        { storeId: store.id, orderId: params.orderId, body },
      ),
    ),
  ),

  storeRoute(getShipmentOperation, { authenticator }, async ({ store, params }) =>
    ok(await getShipment(shipments, store.id, params.shipmentId)),
  ),
]);
