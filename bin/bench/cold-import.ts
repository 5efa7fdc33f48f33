/**
 * Section 2: what the checkout handler's module costs at a Lambda cold start, relative to the least
 * any DynamoDB-backed handler must load. Each import runs in a fresh `node` process; the two bundles
 * alternate (ABBA) so that drift in machine load falls on both alike. The target is on the ratio of
 * the two medians (issue 2); the spread of each run's own checkout ÷ baseline is printed beside it
 * because this machine's timings wander by ±10 % from one run to the next.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BenchSection } from './section.ts';
import { median, round } from './stats.ts';

const execFileAsync = promisify(execFile);

const runs = 41;
/** Untimed first imports, so that the page cache holds both bundles before measuring. */
const warmUps = 1;
const targetRatio = 1.3;

/** The least a handler on DynamoDB loads: the client and the document client, constructed. */
const baselineSource = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
`;

/**
 * Runs in the child: times the dynamic import alone, not Node's own start-up. Lambda's Node.js
 * runtime has set up stdout and stderr (it patches console) before it imports a handler, so the
 * child does that first too; otherwise a bundle that merely touches \`process.stdout\` (Powertools
 * Logger does) would be charged for Node creating the stream.
 */
const importTimerSource = `
void process.stdout;
void process.stderr;
const started = performance.now();
await import(process.argv[2]);
const importMs = performance.now() - started;
process.stdout.write(JSON.stringify({ importMs }) + '\\n');
process.exit(0);
`;

/**
 * Just enough configuration for the handler's cold-start checks; nothing is called at import.
 * No parent variables but PATH leak in, so a developer's AWS profile or NODE_OPTIONS cannot skew it.
 */
const childEnvironment = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  MAIN_TABLE_NAME: 'salesops-bench-main',
  IDEMPOTENCY_TABLE_NAME: 'salesops-bench-idempotency',
  STRIPE_SECRET_KEY: 'sk_test_x',
};

export const coldImport: BenchSection = {
  name: 'cold-import',
  title: `Cold import, median of ${runs} fresh node processes`,
  async run({ bundler, workDir }) {
    const [baseline, checkout] = await Promise.all([
      bundler.source('baseline', baselineSource),
      bundler.function('checkout'),
    ]);
    const timer = join(workDir, 'import-timer.mjs');
    await writeFile(timer, importTimerSource);
    const importOnce = async (bundleFile: string): Promise<number> => {
      const { stdout } = await execFileAsync(process.execPath, [timer, pathToFileURL(bundleFile).href], {
        env: childEnvironment,
        cwd: workDir,
      });
      const { importMs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { importMs?: unknown };
      if (typeof importMs !== 'number') throw new Error(`the import timer printed no time: ${stdout}`);
      return importMs;
    };

    const samples = { baseline: [] as number[], checkout: [] as number[] };
    for (let run = 0; run < warmUps + runs; run++) {
      const order = run % 2 === 0 ? (['baseline', 'checkout'] as const) : (['checkout', 'baseline'] as const);
      for (const which of order) {
        const importMs = await importOnce(which === 'baseline' ? baseline.outfile : checkout.outfile);
        if (run >= warmUps) samples[which].push(importMs);
      }
    }
    const baselineMs = median(samples.baseline);
    const checkoutMs = median(samples.checkout);
    const pairedRatios = samples.checkout.map(
      (checkoutSample, index) => checkoutSample / (samples.baseline[index] ?? NaN),
    );
    const sortedRatios = [...pairedRatios].sort((a, b) => a - b);
    const quartile = (q: number) => sortedRatios[Math.floor(q * (sortedRatios.length - 1))] ?? NaN;
    return {
      rows: [
        {
          metric: `baseline import (DynamoDB clients, ${round(baseline.bytes / 1024)} KB)`,
          value: round(baselineMs),
          unit: 'ms',
        },
        {
          metric: `checkout import (${round(checkout.bytes / 1024)} KB)`,
          value: round(checkoutMs),
          unit: 'ms',
        },
        {
          metric: 'checkout ÷ baseline (ratio of the medians)',
          value: round(checkoutMs / baselineMs, 2),
          unit: '×',
          target: { atMost: targetRatio },
        },
        {
          metric: 'checkout ÷ baseline, median of paired runs',
          value: round(median(pairedRatios), 2),
          unit: '×',
        },
        {
          metric: 'checkout ÷ baseline, 25th percentile of pairs',
          value: round(quartile(0.25), 2),
          unit: '×',
        },
        {
          metric: 'checkout ÷ baseline, 75th percentile of pairs',
          value: round(quartile(0.75), 2),
          unit: '×',
        },
      ],
      details: {
        runs,
        warmUps,
        node: process.version,
        baselineBytes: baseline.bytes,
        checkoutBytes: checkout.bytes,
        samplesMs: samples,
        pairedRatios,
      },
    };
  },
};
