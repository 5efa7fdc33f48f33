/**
 * `Idempotency-Key` on Powertools idempotency over DynamoDB. Records are scoped by store and key,
 * validated by the request's fingerprint, kept 24 h, and only results (2xx/4xx) are stored: the
 * action throws for a 5xx, which makes Powertools delete the in-progress record.
 */

import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyKeyInUse, IdempotencyKeyReused } from '../domain/errors.ts';
import type { HttpResult, IdempotencyGuard } from '../http/api.ts';

/** The contract asks for ≥ 24 h; a day and an hour leaves room for clock skew between clients. */
const keptForSeconds = 25 * 60 * 60;

export function dynamoIdempotencyGuard(client: DynamoDBClient, tableName: string): IdempotencyGuard {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
  return {
    async run(request, action) {
      let replayed = true;
      const config = new IdempotencyConfig({
        eventKeyJmesPath: '[storeId, key]',
        payloadValidationJmesPath: 'fingerprint',
        expiresAfterSeconds: keptForSeconds,
        throwOnNoIdempotencyKey: true,
      });
      config.registerLambdaContext(request.lambdaContext);
      const once = makeIdempotent(
        async (_payload: { storeId: string; key: string; fingerprint: string }): Promise<HttpResult> => {
          replayed = false;
          return action();
        },
        // One prefix for every route, so a key reused on another path is caught as "reused".
        { persistenceStore, config, keyPrefix: 'salesops' },
      );
      try {
        const result = await once({
          storeId: request.storeId,
          key: request.key,
          fingerprint: request.fingerprint,
        });
        return { result, replayed };
      } catch (error) {
        if (error instanceof IdempotencyValidationError) {
          throw new IdempotencyKeyReused(
            'This Idempotency-Key was already used with a different request (method, path or body).',
            { cause: error },
          );
        }
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new IdempotencyKeyInUse(
            'A request with this Idempotency-Key is still being processed; retry shortly.',
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },
  };
}
