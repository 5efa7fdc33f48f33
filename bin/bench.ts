/**
 * `npm run bench [-- <section> ...]`: measures bundle sizes, cold import time, local checkout
 * throughput, the webhook receiver's warm latency and the cost of a KPI rollup, prints a summary
 * table and writes `.cache/bench/latest.json`. A measurement tool: a missed target is reported, never failed on
 * (the exit code is non-zero only if a section broke).
 *
 * A new measurement is a `BenchSection` (bin/bench/section.ts) added to `sections` below.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Bundler } from './bench/bundle.ts';
import { bundleSizes } from './bench/bundle-sizes.ts';
import { checkoutThroughput } from './bench/checkout-throughput.ts';
import { coldImport } from './bench/cold-import.ts';
import { kpiRollup } from './bench/kpi-rollup.ts';
import { formatTable, type SectionOutcome, writeReport } from './bench/report.ts';
import type { BenchContext, BenchSection } from './bench/section.ts';
import { webhookLatency } from './bench/webhook-latency.ts';

const sections: readonly BenchSection[] = [
  bundleSizes,
  coldImport,
  checkoutThroughput,
  webhookLatency,
  kpiRollup,
];

const repositoryRoot = resolve(import.meta.dirname, '..');
const reportFile = join(repositoryRoot, '.cache/bench/latest.json');

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !sections.some((section) => section.name === name));
if (unknown.length > 0) {
  console.error(
    `Unknown section ${unknown.join(', ')}; sections: ${sections.map((section) => section.name).join(', ')}`,
  );
  process.exit(2);
}
const selected =
  requested.length === 0 ? sections : sections.filter((section) => requested.includes(section.name));

const startedAt = new Date();
const workDir = await mkdtemp(join(tmpdir(), 'salesops-bench-'));
const context: BenchContext = {
  repositoryRoot,
  workDir,
  bundler: new Bundler(repositoryRoot, join(workDir, 'bundles')),
  log: (line) => console.log(`  ${line}`),
};

const outcomes: SectionOutcome[] = [];
try {
  for (const section of selected) {
    console.log(`▶ ${section.title}`);
    const started = performance.now();
    try {
      const result = await section.run(context);
      outcomes.push({ section, durationMs: performance.now() - started, result });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`  ${section.name} failed: ${message}`);
      outcomes.push({ section, durationMs: performance.now() - started, error: message });
    }
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

await writeReport(reportFile, startedAt, outcomes);
console.log(`\n${formatTable(outcomes)}`);
console.log(`Total ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s; JSON in ${reportFile}`);
// Keep-alive sockets and SDK clients of the local stack would otherwise hold the process open.
process.exit(outcomes.some((outcome) => 'error' in outcome) ? 1 : 0);
