import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDynamoDbLocal, startDynamoDbLocal } from '../../bin/local/dynamodb-local.ts';
import { freePort } from '../../bin/local/free-port.ts';

const PINNED_JAR_SHA256 = '454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7';
const FETCH_TIMEOUT_MS = 180_000;
const childScript = fileURLToPath(new URL('./fixtures/dynamodb-local-child.ts', import.meta.url));

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

async function answers(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'probe', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListTablesCommand({}));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

describe('ensureDynamoDbLocal', () => {
  let cacheDir: string;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'dynamodb-local-cache-'));
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it(
    'fetches once for concurrent callers, verifies the jar and leaves no staging folders',
    async () => {
      const [first, second] = await Promise.all([
        ensureDynamoDbLocal(cacheDir),
        ensureDynamoDbLocal(cacheDir),
      ]);

      expect(first).toBe(join(cacheDir, '1.25.1'));
      expect(second).toBe(first);
      expect(await sha256(join(first, 'DynamoDBLocal.jar'))).toBe(PINNED_JAR_SHA256);
      expect(await readdir(join(first, 'DynamoDBLocal_lib'))).toContain('libsqlite4java-linux-amd64.so');
      expect(await readdir(cacheDir)).toEqual(['1.25.1']);
    },
    FETCH_TIMEOUT_MS,
  );

  it(
    'replaces a cached jar that no longer matches the pinned sha256',
    async () => {
      const installDir = await ensureDynamoDbLocal(cacheDir);
      await writeFile(join(installDir, 'DynamoDBLocal.jar'), 'not the jar');

      const repaired = await ensureDynamoDbLocal(cacheDir);

      expect(repaired).toBe(installDir);
      expect(await sha256(join(repaired, 'DynamoDBLocal.jar'))).toBe(PINNED_JAR_SHA256);
      expect(await readdir(cacheDir)).toEqual(['1.25.1']);
    },
    FETCH_TIMEOUT_MS,
  );
});

describe('startDynamoDbLocal', () => {
  beforeAll(async () => {
    // The child processes below start from the default cache; fill it once here.
    await ensureDynamoDbLocal();
  }, FETCH_TIMEOUT_MS);

  it('listens on the requested port and stops answering after stop()', async () => {
    const port = await freePort();
    const dynamoDb = await startDynamoDbLocal({ port });
    const answeredWhileRunning = await answers(dynamoDb.endpoint);

    await dynamoDb.stop();
    await dynamoDb.stop();

    expect(dynamoDb).toMatchObject({ port, endpoint: `http://127.0.0.1:${port}` });
    expect(answeredWhileRunning).toBe(true);
    expect(await answers(dynamoDb.endpoint)).toBe(false);
  }, 60_000);

  it('rejects with a clear error when the requested port is taken', async () => {
    // Listening on every interface, as the JVM would, so that its bind must fail.
    const server = createServer().listen(0);
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(
        `could not listen on port ${port}: it is in use`,
      );
    } finally {
      server.close();
    }
  }, 60_000);

  it('says how to install Java when `java` is not on PATH', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'no-java-'));
    const path = process.env.PATH;
    process.env.PATH = emptyDir;
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(/apt-get install -y openjdk-17-jre-headless/);
    } finally {
      process.env.PATH = path;
      await rm(emptyDir, { recursive: true, force: true });
    }
  });

  it.each([
    { mode: 'exit', how: 'exits', expectedSignal: null },
    { mode: 'wait', how: 'is terminated by SIGTERM', expectedSignal: 'SIGTERM' },
  ])(
    'kills DynamoDB Local when the parent process $how',
    async ({ mode, expectedSignal }) => {
      const child = spawn(process.execPath, ['--import', 'tsx', childScript, mode], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
      });
      const exited = once(child, 'exit');

      const endpoint = await vi.waitFor(
        () => {
          const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
          if (line === undefined) throw new Error('the child has not printed its endpoint yet');
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed !== 'object' || parsed === null || !('endpoint' in parsed)) {
            throw new Error(`unexpected line ${line}`);
          }
          return String(parsed.endpoint);
        },
        { timeout: 60_000, interval: 100 },
      );
      const answeredWhileParentLived = await answers(endpoint);
      if (mode === 'exit') {
        child.stdin.end('exit\n');
      } else {
        child.kill('SIGTERM');
      }
      const [, signal] = await exited;
      await vi.waitFor(
        async () => {
          if (await answers(endpoint)) throw new Error('DynamoDB Local still answers');
        },
        { timeout: 15_000, interval: 200 },
      );

      expect(answeredWhileParentLived).toBe(true);
      expect(signal).toBe(expectedSignal);
      expect(await answers(endpoint)).toBe(false);
    },
    90_000,
  );
});
