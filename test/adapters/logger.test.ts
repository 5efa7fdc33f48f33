/** The logger facade: Powertools Logger is loaded by the first log line, with the keys set before it. */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lazyPowertoolsLogger } from '../../functions/adapters/logger.ts';

type PowertoolsModule = typeof import('@aws-lambda-powertools/logger');
const powertools = createRequire(import.meta.url)('@aws-lambda-powertools/logger') as PowertoolsModule;

function countingLoader() {
  const loader = {
    loads: 0,
    load: (): PowertoolsModule => {
      loader.loads++;
      return powertools;
    },
  };
  return loader;
}

/** The JSON lines written to stdout while `run` runs. */
function linesWrittenBy(run: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  // Whatever the run's level (the local stack quietens it), these lines must be written.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_DEV', '');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the lazily loaded logger', () => {
  it('loads nothing while an invocation only sets and removes keys', () => {
    const loader = countingLoader();
    const logger = lazyPowertoolsLogger('lazy-test', loader.load);
    logger.appendKeys({ requestId: 'req_1', route: 'POST /v1/checkouts' });
    logger.removeKeys(['requestId', 'route']);
    expect(loader.loads).toBe(0);
  });

  it('writes the first line at once, with the keys appended before it and without those removed', () => {
    const loader = countingLoader();
    const logger = lazyPowertoolsLogger('lazy-test', loader.load);
    logger.appendKeys({ requestId: 'req_2', route: 'POST /v1/checkouts', stale: 'x' });
    logger.removeKeys(['stale']);
    const lines = linesWrittenBy(() => logger.info('first line', { orderId: 'ord_1' }));
    expect(loader.loads).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'first line',
        service: 'lazy-test',
        requestId: 'req_2',
        route: 'POST /v1/checkouts',
        orderId: 'ord_1',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('stale');
  });

  it('loads once, then hands keys straight to Powertools', () => {
    const loader = countingLoader();
    const logger = lazyPowertoolsLogger('lazy-test', loader.load);
    linesWrittenBy(() => logger.info('loads the logger'));
    logger.appendKeys({ requestId: 'req_3' });
    const withKey = linesWrittenBy(() => logger.info('with the key'));
    logger.removeKeys(['requestId']);
    const withoutKey = linesWrittenBy(() => logger.info('without it'));
    expect(loader.loads).toBe(1);
    expect(withKey[0]).toMatchObject({ message: 'with the key', requestId: 'req_3' });
    expect(withoutKey[0]).toMatchObject({ message: 'without it' });
    expect(withoutKey[0]).not.toHaveProperty('requestId');
  });
});
