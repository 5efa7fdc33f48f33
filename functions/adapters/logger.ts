/**
 * One structured logger per function: Powertools Logger, loaded by the first log line.
 *
 * Most invocations log nothing (a checkout that succeeds writes no line; API Gateway's access log
 * records the request), yet loading and constructing Powertools Logger was about 15 % of what the
 * checkout's cold start loads beyond its DynamoDB client. So it is side-loaded (lib/bundling.ts)
 * and required synchronously on first use: a log line is written before its call returns, never
 * deferred or dropped. The keys appended before then are handed to it when it loads.
 *
 * Never log whole events, request bodies, card data or secrets: log ids and outcomes.
 */
import { createRequire } from 'node:module';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';

type PowertoolsModule = typeof import('@aws-lambda-powertools/logger');
/** A message and the ids and outcomes that go with it. */
type LogMethod = (message: string, attributes?: LogAttributes) => void;
type LogKeys = Parameters<Logger['appendKeys']>[0];

/** The part of Powertools Logger the functions use. */
export interface StructuredLogger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
  /** Keys added to every line until removed (the request id and route of an HTTP request). */
  appendKeys(keys: LogKeys): void;
  removeKeys(names: readonly string[]): void;
}

// Named so that esbuild leaves the call alone: a literal `require('…')` would be bundled.
const requireAtRuntime = createRequire(import.meta.url);

export function lazyPowertoolsLogger(
  serviceName: string,
  load: () => PowertoolsModule = () => requireAtRuntime('@aws-lambda-powertools/logger') as PowertoolsModule,
): StructuredLogger {
  let loaded: Logger | undefined;
  let pendingKeys: LogKeys = {};
  const powertools = (): Logger => {
    if (loaded === undefined) {
      loaded = new (load().Logger)({ serviceName });
      loaded.appendKeys(pendingKeys);
      pendingKeys = {};
    }
    return loaded;
  };
  return {
    debug: (message, attributes) =>
      powertools().debug(message, ...(attributes === undefined ? [] : [attributes])),
    info: (message, attributes) =>
      powertools().info(message, ...(attributes === undefined ? [] : [attributes])),
    warn: (message, attributes) =>
      powertools().warn(message, ...(attributes === undefined ? [] : [attributes])),
    error: (message, attributes) =>
      powertools().error(message, ...(attributes === undefined ? [] : [attributes])),
    appendKeys(keys) {
      if (loaded === undefined) pendingKeys = { ...pendingKeys, ...keys };
      else loaded.appendKeys(keys);
    },
    removeKeys(names) {
      if (loaded !== undefined) {
        loaded.removeKeys([...names]);
        return;
      }
      const kept = { ...pendingKeys };
      for (const name of names) delete kept[name];
      pendingKeys = kept;
    },
  };
}

export const logger: StructuredLogger = lazyPowertoolsLogger(
  process.env.POWERTOOLS_SERVICE_NAME ?? 'sales-ops',
);
