/**
 * The shape every bench section shares, so that a new measurement is one more entry in the list of
 * bin/bench.ts: a section measures, and answers rows for the summary table plus free-form details
 * for `.cache/bench/latest.json`.
 */
import type { Bundler } from './bundle.ts';

/** What a figure should stay within. Benchmarks report a miss; they never fail the run on one. */
export interface BenchTarget {
  readonly atMost?: number;
  readonly atLeast?: number;
}

export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: BenchTarget;
}

export interface SectionResult {
  readonly rows: readonly BenchRow[];
  /** Raw samples and anything else worth keeping in the JSON report. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface BenchContext {
  readonly repositoryRoot: string;
  /** A fresh temporary folder for this run, removed at the end. */
  readonly workDir: string;
  /** Builds each bundle once per run, so sections that need the same bundle share it. */
  readonly bundler: Bundler;
  log(line: string): void;
}

export interface BenchSection {
  /** Short id, used to select sections on the command line and as the JSON key. */
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<SectionResult>;
}

export function meetsTarget(row: BenchRow): boolean | undefined {
  if (row.target === undefined) return undefined;
  const { atMost, atLeast } = row.target;
  return (atMost === undefined || row.value <= atMost) && (atLeast === undefined || row.value >= atLeast);
}
