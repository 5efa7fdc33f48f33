import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSidePackage } from '../../bin/bundle-side.ts';
import { esbuildBuildOptions, lambdaBundling } from '../../lib/bundling.ts';
import { functionDefinition, functionNames } from '../../lib/topology.ts';

const execFileAsync = promisify(execFile);
const entry = fileURLToPath(new URL('./fixtures/esm-entry.ts', import.meta.url));
let outdir: string;
let outfile: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'sales-ops-bundle-'));
  outfile = join(outdir, 'index.mjs');
  await build(esbuildBuildOptions(entry, outfile));
});

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

describe('the shared Lambda bundle', () => {
  it('runs CommonJS dependencies inside an ES module (require and __dirname defined by the banner)', async () => {
    // The bundle exports what its entry exports.
    const { handler }: typeof import('./fixtures/esm-entry.ts') = await import(pathToFileURL(outfile).href);
    await expect(handler()).resolves.toEqual({ platform: process.platform, directory: outdir });
  });

  it('is a minified ES module with an external source map and no sources inside it', async () => {
    const code = await readFile(outfile, 'utf8');
    expect(code.startsWith(lambdaBundling.banner)).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    const map: unknown = JSON.parse(await readFile(`${outfile}.map`, 'utf8'));
    expect(map).toMatchObject({ version: 3 });
    expect(map).not.toHaveProperty('sourcesContent');
    // Minified: the banner line, then the code on one line.
    expect(code.split('\n').length).toBeLessThan(10);
  });

  it("answers middy's streamed-response check without loading Node's web streams at import", async () => {
    const { ReadableStream: StandIn } = await import('../../lib/bundling-shims/lazy-stream-web.ts');
    const { ReadableStream: NodeReadableStream } = await import('node:stream/web');
    expect(new NodeReadableStream() instanceof StandIn).toBe(true);
    expect({ body: 'not a stream' } instanceof StandIn).toBe(false);
    expect((new String('text') as object) instanceof StandIn).toBe(false);

    const checkoutBundle = await build({
      ...esbuildBuildOptions(
        fileURLToPath(new URL('../../functions/checkout/handler.ts', import.meta.url)),
        'x.mjs',
      ),
      write: false,
      sourcemap: false,
    });
    const code = checkoutBundle.outputFiles?.[0]?.text ?? '';
    expect(code).toContain('Symbol.hasInstance');
    expect(code).not.toMatch(/node:stream\/web/);
  });

  it('targets the Lambda runtime and bundles every dependency', () => {
    const options = esbuildBuildOptions('in.ts', 'out.mjs');
    expect(options).toMatchObject({
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      mainFields: ['module', 'main'],
      external: ['stripe', 'disposable-email-domains', '@aws-lambda-powertools/logger', 'zod/locales'],
    });
  });

  it('ships the disposable-email lists beside the fraud bundle, as data, and loads them on first use', async () => {
    const functionDir = await mkdtemp(join(tmpdir(), 'sales-ops-side-data-'));
    try {
      const entryFile = fileURLToPath(new URL('./fixtures/disposable-entry.ts', import.meta.url));
      await build(esbuildBuildOptions(entryFile, join(functionDir, 'index.mjs')));
      expect((await readFile(join(functionDir, 'index.mjs'), 'utf8')).length).toBeLessThan(20_000);
      await bundleSidePackage('disposable-email-domains', functionDir);
      const { handler }: typeof import('./fixtures/disposable-entry.ts') = await import(
        pathToFileURL(join(functionDir, 'index.mjs')).href
      );
      await expect(handler()).resolves.toEqual({
        mailinator: true,
        example: false,
        domains: expect.any(Number),
      });
      expect((await handler()).domains).toBeGreaterThan(10_000);
    } finally {
      await rm(functionDir, { recursive: true, force: true });
    }
  });

  it('side-loads Stripe for every function that may call it', () => {
    for (const name of functionNames) {
      const { access, sideLoaded = [] } = functionDefinition(name);
      expect(sideLoaded.includes('stripe'), name).toBe(access.stripe === true);
    }
  });

  it('ships Powertools Logger beside every bundle, required by the first log line', async () => {
    // Built as the CDK stack builds a function, into a folder with no node_modules above it: the
    // logger can only come from the side bundle.
    const functionDir = await mkdtemp(join(tmpdir(), 'sales-ops-side-logger-'));
    try {
      const loggerEntry = fileURLToPath(new URL('./fixtures/logger-entry.ts', import.meta.url));
      await build(esbuildBuildOptions(loggerEntry, join(functionDir, 'index.mjs')));
      const main = await readFile(join(functionDir, 'index.mjs'), 'utf8');
      expect(main).not.toContain('POWERTOOLS_LOG_LEVEL');
      await bundleSidePackage('@aws-lambda-powertools/logger', functionDir);
      // A child process, so that the line the logger writes to stdout can be read.
      const { stdout } = await execFileAsync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `(await import(${JSON.stringify(pathToFileURL(join(functionDir, 'index.mjs')).href)})).handler();`,
        ],
        { env: { PATH: process.env.PATH ?? '', POWERTOOLS_SERVICE_NAME: 'bundle-test' } },
      );
      const lines = stdout
        .trim()
        .split('\n')
        .map((line): unknown => JSON.parse(line));
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'INFO',
          message: 'fixture line',
          service: 'bundle-test',
          requestId: 'req_fixture',
          route: 'POST /v1/checkouts',
          orderId: 'ord_fixture',
        }),
      ]);
    } finally {
      await rm(functionDir, { recursive: true, force: true });
    }
  });

  it("ships zod's English messages beside every bundle, required by the first value that fails", async () => {
    const functionDir = await mkdtemp(join(tmpdir(), 'sales-ops-side-messages-'));
    try {
      const messagesEntry = fileURLToPath(new URL('./fixtures/messages-entry.ts', import.meta.url));
      await build(esbuildBuildOptions(messagesEntry, join(functionDir, 'index.mjs')));
      const main = await readFile(join(functionDir, 'index.mjs'), 'utf8');
      expect(main).not.toContain('Too big');
      await bundleSidePackage('zod/locales', functionDir);
      const { handler }: typeof import('./fixtures/messages-entry.ts') = await import(
        pathToFileURL(join(functionDir, 'index.mjs')).href
      );
      expect(handler('fine')).toBe('valid');
      expect(handler(42)).toBe('Invalid input: expected string, received number');
      expect(handler('too long')).toBe('Too big: expected string to have <=5 characters');
    } finally {
      await rm(functionDir, { recursive: true, force: true });
    }
  });

  it('ships Stripe beside the bundle: the deployed function loads the prebundled copy on first use', async () => {
    // A checkout-shaped function, built as the CDK stack builds it, into a folder with no
    // node_modules above it: `import('stripe')` can only find the side bundle.
    const functionDir = await mkdtemp(join(tmpdir(), 'sales-ops-side-'));
    try {
      const stripeEntry = fileURLToPath(new URL('./fixtures/stripe-entry.ts', import.meta.url));
      await build(esbuildBuildOptions(stripeEntry, join(functionDir, 'index.mjs')));
      const main = await readFile(join(functionDir, 'index.mjs'), 'utf8');
      expect(main).not.toContain('api.stripe.com');
      await bundleSidePackage('stripe', functionDir);
      const { handler }: typeof import('./fixtures/stripe-entry.ts') = await import(
        pathToFileURL(join(functionDir, 'index.mjs')).href
      );
      await expect(handler()).resolves.toEqual({ hasPaymentIntents: true, apiVersion: Stripe.API_VERSION });
    } finally {
      await rm(functionDir, { recursive: true, force: true });
    }
  });
});
