import { httpHandler, ok, publicRoute } from '../http/api.ts';
import { openApiDocument } from '../http/openapi.ts';
import { allOperations, healthOperation, openApiOperation } from './operations.ts';

/** Built once per cold start: the document only changes with a deployment. */
const document = openApiDocument(allOperations);

export const handler = httpHandler([
  publicRoute(healthOperation, async () => ok({ status: 'ok' })),
  publicRoute(openApiOperation, async () => ok(document)),
]);
