import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './free-port.ts';

/**
 * AWS's own DynamoDB Local, run from a cache because its licence forbids committing or
 * redistributing the jar. The only copy reachable from here is inside an npm package; it is fetched
 * with `npm pack` because installing that package would pull in ~350 MB of dependencies we never use.
 */
const DYNAMODB_LOCAL_VERSION = '1.25.1';
const SOURCE_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
/** sha256 of `emulator/DynamoDBLocal.jar` in the package above; a different jar is refused. */
const JAR_SHA256 = '454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7';
const JAR_FILE = 'DynamoDBLocal.jar';
const LIB_DIR = 'DynamoDBLocal_lib';
const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../.cache/dynamodb-local', import.meta.url));

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 4_000;
const MAX_PORT_ATTEMPTS = 3;

const execFileAsync = promisify(execFile);

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`; pass it as the SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the JVM; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Makes sure DynamoDB Local is unpacked and intact in the cache and returns the folder holding
 * `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`. Concurrent callers (several test files at once) are
 * safe: each unpacks into its own staging folder and the first atomic rename wins.
 */
export async function ensureDynamoDbLocal(cacheDir: string = DEFAULT_CACHE_DIR): Promise<string> {
  const installDir = join(cacheDir, DYNAMODB_LOCAL_VERSION);
  if (await isIntactInstall(installDir)) {
    return installDir;
  }
  await mkdir(cacheDir, { recursive: true });
  // Staging inside the cache keeps the final rename on one file system, so it stays atomic.
  const stagingDir = await mkdtemp(join(cacheDir, '.staging-'));
  try {
    const tarball = await fetchPackage(stagingDir);
    await execFileAsync('tar', ['-xzf', tarball, '-C', stagingDir, 'package/emulator']);
    const unpackedDir = join(stagingDir, 'package', 'emulator');
    const actualSha256 = await sha256Of(join(unpackedDir, JAR_FILE));
    if (actualSha256 !== JAR_SHA256) {
      throw new Error(
        `DynamoDB Local from ${SOURCE_PACKAGE} has sha256 ${actualSha256}, expected ${JAR_SHA256}; refusing to run it`,
      );
    }
    await moveIntoPlace(unpackedDir, installDir, cacheDir);
    return installDir;
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}

/**
 * Starts DynamoDB Local in memory on `port` (a free one by default) and resolves once it answers.
 * `-sharedDb` makes every access key and region see the same tables, as one AWS account would.
 * DynamoDB Local only accepts access key ids made of letters and digits.
 */
export async function startDynamoDbLocal(
  options: { port?: number; cacheDir?: string } = {},
): Promise<DynamoDbLocal> {
  const installDir = await ensureDynamoDbLocal(options.cacheDir);
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(installDir, port);
    } catch (error) {
      // A port found free can be taken by another process before the JVM binds it: pick another.
      const canRetry = options.port === undefined && attempt < MAX_PORT_ATTEMPTS;
      if (!(error instanceof PortInUseError) || !canRetry) {
        throw error;
      }
    }
  }
}

class PortInUseError extends Error {
  constructor(port: number, output: string) {
    super(`DynamoDB Local could not listen on port ${port}: it is in use\n${output}`);
    this.name = 'PortInUseError';
  }
}

async function launch(installDir: string, port: number): Promise<DynamoDbLocal> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(installDir, LIB_DIR)}`,
      // C1 only and the serial collector halve start-up; a test database never needs peak throughput.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-jar',
      JAR_FILE,
      '-inMemory',
      '-sharedDb',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { cwd: installDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackChild(child);

  let stopping = false;
  let failed = false;
  let outputTail = '';
  let reportFailure: (error: Error) => void = () => {};
  const failure = new Promise<Error>((resolve) => {
    reportFailure = (error) => {
      failed = true;
      resolve(error);
    };
  });

  const keepTail = (chunk: Buffer): void => {
    outputTail = (outputTail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    // On a taken port the JVM logs the BindException but keeps running without a listener.
    if (/BindException|Address already in use/.test(outputTail)) {
      reportFailure(new PortInUseError(port, outputTail.trim()));
    }
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  child.once('error', (error: NodeJS.ErrnoException) => {
    reportFailure(
      error.code === 'ENOENT'
        ? new Error(
            'DynamoDB Local needs Java, but `java` is not on PATH. Install it with: ' +
              'apt-get install -y openjdk-17-jre-headless',
          )
        : new Error(`Could not start DynamoDB Local: ${error.message}`, { cause: error }),
    );
  });
  child.once('exit', (code, signal) => {
    untrackChild(child);
    if (!stopping) {
      process.stderr.write(`DynamoDB Local on port ${port} exited (code ${code}, signal ${signal})\n`);
    }
    const output = outputTail.trim();
    reportFailure(
      new Error(
        `DynamoDB Local exited before it was ready (code ${code}, signal ${signal})` +
          (output === '' ? '' : `\n--- DynamoDB Local output ---\n${output}`),
      ),
    );
  });

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping = true;
    stopPromise ??= terminate(child);
    return stopPromise;
  };

  const ready = await Promise.race([waitUntilAnswering(endpoint, () => failed), failure]);
  if (ready instanceof Error) {
    await stop();
    throw ready;
  }
  return { endpoint, port, stop };
}

async function isIntactInstall(installDir: string): Promise<boolean> {
  try {
    const libs = await stat(join(installDir, LIB_DIR));
    return libs.isDirectory() && (await sha256Of(join(installDir, JAR_FILE))) === JAR_SHA256;
  } catch {
    return false;
  }
}

async function fetchPackage(destination: string): Promise<string> {
  try {
    await execFileAsync('npm', ['pack', SOURCE_PACKAGE, '--pack-destination', destination, '--silent'], {
      cwd: destination,
    });
  } catch (error) {
    const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr).trim() : '';
    throw new Error(`Could not fetch DynamoDB Local with \`npm pack ${SOURCE_PACKAGE}\`\n${stderr}`, {
      cause: error,
    });
  }
  const tarball = (await readdir(destination)).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) {
    throw new Error(`\`npm pack ${SOURCE_PACKAGE}\` produced no tarball in ${destination}`);
  }
  return join(destination, tarball);
}

async function moveIntoPlace(unpackedDir: string, installDir: string, cacheDir: string): Promise<void> {
  try {
    await rename(unpackedDir, installDir);
    return;
  } catch (error) {
    if (!isCode(error, 'ENOTEMPTY') && !isCode(error, 'EEXIST')) {
      throw error;
    }
  }
  // Another process finished first: use its copy if it is intact, otherwise replace the broken one.
  if (await isIntactInstall(installDir)) {
    return;
  }
  const brokenDir = join(cacheDir, `.broken-${randomUUID()}`);
  await rename(installDir, brokenDir).catch((error: unknown) => {
    if (!isCode(error, 'ENOENT')) throw error;
  });
  await rm(brokenDir, { recursive: true, force: true });
  await rename(unpackedDir, installDir);
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function waitUntilAnswering(endpoint: string, hasFailed: () => boolean): Promise<true | Error> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    // Something else on the port may accept connections and never answer; do not wait on it forever.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (!hasFailed()) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return true;
      } catch {
        if (Date.now() > deadline) {
          return new Error(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return new Error('DynamoDB Local failed before it was ready');
  } finally {
    client.destroy();
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  untrackChild(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forceKill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(forceKill);
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/*
 * A JVM outlives its parent unless killed, so every running DynamoDB Local is killed when this
 * process exits or is signalled. One set of process listeners serves all instances.
 */
const runningChildren = new Set<ChildProcess>();
const forwardedSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllChildren(): void {
  for (const child of runningChildren) {
    child.kill('SIGKILL');
  }
  runningChildren.clear();
}

function onParentSignal(signal: NodeJS.Signals): void {
  killAllChildren();
  removeProcessListeners();
  // Registering a listener cancels Node's default "terminate on signal"; when nobody else handles
  // this signal, restore that default by raising it again.
  if (process.listenerCount(signal) === 0) {
    process.kill(process.pid, signal);
  }
}

function removeProcessListeners(): void {
  process.removeListener('exit', killAllChildren);
  for (const signal of forwardedSignals) {
    process.removeListener(signal, onParentSignal);
  }
}

function trackChild(child: ChildProcess): void {
  if (runningChildren.size === 0) {
    process.on('exit', killAllChildren);
    for (const signal of forwardedSignals) {
      process.on(signal, onParentSignal);
    }
  }
  runningChildren.add(child);
}

function untrackChild(child: ChildProcess): void {
  if (runningChildren.delete(child) && runningChildren.size === 0) {
    removeProcessListeners();
  }
}
