/**
 * Section 4: the Stripe webhook receiver's warm latency through the local stack, measured by
 * `webhook-latency-child.ts` in a fresh process (see there for what is measured and why a child).
 * Beside it, the latency of a bare SendMessage to the same fauxqs queue: the receiver's one
 * unavoidable step, so that a slow machine shows as slow in both.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadResult } from './load.ts';
import type { BenchSection } from './section.ts';
import { round } from './stats.ts';

export const webhookLoad = { count: 500, warmUps: 50, concurrency: 4 } as const;

/** What the child measures: signed deliveries through the stack, and bare SQS sends of the same bodies. */
export interface WebhookLatencyResult {
  readonly deliveries: LoadResult;
  readonly rawSends: LoadResult;
}
const targetP99Ms = 25;

export const webhookLatency: BenchSection = {
  name: 'webhook-latency',
  title: `Stripe webhook receiver, warm (${webhookLoad.count} signed deliveries, ${webhookLoad.concurrency} in flight)`,
  async run({ repositoryRoot, workDir }) {
    const outputFile = join(workDir, 'webhook-latency.json');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(repositoryRoot, 'bin/bench/webhook-latency-child.ts'), outputFile],
        // The stack's handlers log to stdout; only the child's own progress (stderr) is shown.
        { cwd: repositoryRoot, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`the measuring process exited with ${code}`)),
      );
    });
    const { deliveries, rawSends } = JSON.parse(await readFile(outputFile, 'utf8')) as WebhookLatencyResult;
    return {
      rows: [
        { metric: 'webhook deliveries', value: round(deliveries.perSecond), unit: 'req/s' },
        { metric: 'webhook p50', value: round(deliveries.p50Ms), unit: 'ms' },
        {
          metric: 'webhook p99',
          value: round(deliveries.p99Ms),
          unit: 'ms',
          target: { atMost: targetP99Ms },
        },
        { metric: 'webhook failures', value: deliveries.failed, unit: 'count', target: { atMost: 0 } },
        { metric: 'raw SQS SendMessage (fauxqs) p50', value: round(rawSends.p50Ms), unit: 'ms' },
        { metric: 'raw SQS SendMessage (fauxqs) p99', value: round(rawSends.p99Ms), unit: 'ms' },
      ],
      details: { warmUps: webhookLoad.warmUps, deliveries: summary(deliveries), rawSends: summary(rawSends) },
    };
  },
};

function summary(result: LoadResult) {
  const { latenciesMs: _latenciesMs, ...rest } = result;
  return rest;
}
