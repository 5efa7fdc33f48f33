/**
 * Section 2: what the checkout handler's and the Stripe webhook receiver's modules cost at a Lambda
 * cold start, relative to the least any DynamoDB-backed handler must load. Each import runs in a
 * fresh `node` process; the bundles take turns in an order that reverses every run (ABC CBA) so
 * that drift in machine load falls on all alike. The targets are on the ratio of the medians
 * (checkout ≤ 1.3, issue 2; receiver ≤ 1.2, issue 3); the spread of each run's own ratio is
 * printed beside it because this machine's timings wander by ±10 % from one run to the next.
 * The shipping webhook receiver (issue 4) is measured without a target: it carries the DynamoDB
 * client the baseline holds, plus an SQS client and the tracking event schema. So is the checkout
 * together with the Stripe SDK its first request loads from beside the bundle, so that what side
 * loading moves out of the import stays in sight.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { FunctionName, SideLoadedPackage } from '../../lib/topology.ts';
import { bundleSidePackage } from '../bundle-side.ts';
import type { BenchRow, BenchSection } from './section.ts';
import { median, round } from './stats.ts';

const execFileAsync = promisify(execFile);

const runs = 81;
/** Untimed first imports, so that the page cache holds both bundles before measuring. */
const warmUps = 1;

/** The handlers measured against the baseline, with their target ratios where there is one. */
const measured: readonly { readonly name: FunctionName; readonly targetRatio?: number }[] = [
  { name: 'checkout', targetRatio: 1.3 },
  { name: 'stripeWebhook', targetRatio: 1.2 },
  { name: 'shippingWebhook' },
];

/**
 * What a handler's first request loads beside its bundle (lib/bundling.ts side-loads it), measured
 * as bundle + package, without a target: the import ratio shows the cold start's fixed part, this
 * shows how much of the first request's work is moved out of it. The checkout's first order always
 * needs Stripe's SDK; Powertools Logger only loads if something is logged, which a checkout that
 * succeeds never does.
 */
const withFirstRequest: readonly { readonly name: FunctionName; readonly loads: SideLoadedPackage }[] = [
  { name: 'checkout', loads: 'stripe' },
];

/** The least a handler on DynamoDB loads: the client and the document client, constructed. */
const baselineSource = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
`;

/**
 * Runs in the child: times the dynamic imports alone (the bundle, then any side-loaded package), not Node's own start-up. Lambda's Node.js
 * runtime has set up stdout and stderr (it patches console) before it imports a handler, so the
 * child does that first too; otherwise a bundle that merely touches \`process.stdout\` (Powertools
 * Logger does) would be charged for Node creating the stream.
 */
const importTimerSource = `
void process.stdout;
void process.stderr;
const started = performance.now();
for (const module of process.argv.slice(2)) await import(module);
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
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  PAYMENT_EVENTS_QUEUE_URL: 'http://localhost/q',
  SHIPPING_EVENTS_QUEUE_URL: 'http://localhost/q',
};

export const coldImport: BenchSection = {
  name: 'cold-import',
  title: `Cold import, median of ${runs} fresh node processes`,
  async run({ bundler, workDir }) {
    const [baseline, ...handlers] = await Promise.all([
      bundler.source('baseline', baselineSource),
      ...measured.map(({ name }) => bundler.function(name)),
    ]);
    if (baseline === undefined) throw new Error('no baseline bundle');
    const firstRequests = await Promise.all(
      withFirstRequest.map(async ({ name, loads }) => {
        const bundle = await bundler.function(name);
        const sideBundle = await bundleSidePackage(loads, dirname(bundle.outfile));
        return { name, loads, modules: [bundle.outfile, sideBundle] };
      }),
    );
    const timer = join(workDir, 'import-timer.mjs');
    await writeFile(timer, importTimerSource);
    const importOnce = async (modules: readonly string[]): Promise<number> => {
      const urls = modules.map((file) => pathToFileURL(file).href);
      const { stdout } = await execFileAsync(process.execPath, [timer, ...urls], {
        env: childEnvironment,
        cwd: workDir,
      });
      const { importMs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { importMs?: unknown };
      if (typeof importMs !== 'number') throw new Error(`the import timer printed no time: ${stdout}`);
      return importMs;
    };

    // One rotation: the baseline, each handler, then each handler with its first request's package.
    const subjects: readonly (readonly string[])[] = [
      [baseline.outfile],
      ...handlers.map((bundle) => [bundle.outfile]),
      ...firstRequests.map(({ modules }) => modules),
    ];
    const samples = subjects.map((): number[] => []);
    for (let run = 0; run < warmUps + runs; run++) {
      const order = subjects.map((_, index) => (run % 2 === 0 ? index : subjects.length - 1 - index));
      for (const index of order) {
        const importMs = await importOnce(subjects[index] ?? []);
        if (run >= warmUps) samples[index]?.push(importMs);
      }
    }
    const baselineSamples = samples[0] ?? [];
    const baselineMs = median(baselineSamples);
    const rows: BenchRow[] = [
      {
        metric: `baseline import (DynamoDB clients, ${round(baseline.bytes / 1024)} KB)`,
        value: round(baselineMs),
        unit: 'ms',
      },
    ];
    const details: Record<string, unknown> = {
      runs,
      warmUps,
      node: process.version,
      baselineBytes: baseline.bytes,
      baselineSamplesMs: baselineSamples,
    };
    measured.forEach(({ name, targetRatio }, index) => {
      const bundle = handlers[index];
      const handlerSamples = samples[index + 1] ?? [];
      const handlerMs = median(handlerSamples);
      const pairedRatios = handlerSamples.map((sample, run) => sample / (baselineSamples[run] ?? NaN));
      const sortedRatios = [...pairedRatios].sort((a, b) => a - b);
      const quartile = (q: number) => sortedRatios[Math.floor(q * (sortedRatios.length - 1))] ?? NaN;
      rows.push(
        {
          metric: `${name} import (${round((bundle?.bytes ?? 0) / 1024)} KB)`,
          value: round(handlerMs),
          unit: 'ms',
        },
        {
          metric: `${name} ÷ baseline (ratio of the medians)`,
          value: round(handlerMs / baselineMs, 2),
          unit: '×',
          ...(targetRatio === undefined ? {} : { target: { atMost: targetRatio } }),
        },
        {
          metric: `${name} ÷ baseline, median of paired runs`,
          value: round(median(pairedRatios), 2),
          unit: '×',
        },
        {
          metric: `${name} ÷ baseline, 25th percentile of pairs`,
          value: round(quartile(0.25), 2),
          unit: '×',
        },
        {
          metric: `${name} ÷ baseline, 75th percentile of pairs`,
          value: round(quartile(0.75), 2),
          unit: '×',
        },
      );
      details[name] = { bytes: bundle?.bytes, samplesMs: handlerSamples, pairedRatios };
    });
    firstRequests.forEach(({ name, loads }, index) => {
      const subjectSamples = samples[1 + handlers.length + index] ?? [];
      rows.push({
        metric: `${name} + its first request's ${loads} ÷ baseline`,
        value: round(median(subjectSamples) / baselineMs, 2),
        unit: '×',
      });
      details[`${name}+${loads}`] = { samplesMs: subjectSamples };
    });
    return { rows, details };
  },
};
