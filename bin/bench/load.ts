/** Runs many calls of one operation with a fixed number in flight and times each of them. */
import { percentile } from './stats.ts';

export interface LoadResult {
  readonly count: number;
  readonly concurrency: number;
  readonly failed: number;
  /** The first failure's message, so that a broken run says why. */
  readonly firstError: string | undefined;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly latenciesMs: readonly number[];
}

/**
 * Calls `operation(i)` for i in 0..count-1 with `concurrency` calls in flight. A call that throws
 * is counted as failed and still timed; the throughput counts successful calls only.
 */
export async function runLoad(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<void>,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const started = performance.now();
      try {
        await operation(index);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      latenciesMs.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const wallMs = performance.now() - started;
  return {
    count,
    concurrency,
    failed,
    firstError,
    wallMs,
    perSecond: ((count - failed) / wallMs) * 1000,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    latenciesMs,
  };
}
