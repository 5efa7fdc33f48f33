/** The summary table printed at the end of a run, and the JSON kept in `.cache/bench/latest.json`. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type BenchRow, type BenchSection, meetsTarget, type SectionResult } from './section.ts';

export type SectionOutcome =
  | { readonly section: BenchSection; readonly durationMs: number; readonly result: SectionResult }
  | { readonly section: BenchSection; readonly durationMs: number; readonly error: string };

const maxMetricWidth = 72;

export function formatTable(outcomes: readonly SectionOutcome[]): string {
  const lines: string[][] = [];
  const sectionStarts: number[] = [];
  for (const outcome of outcomes) {
    sectionStarts.push(lines.length);
    lines.push([`${outcome.section.title} — ${(outcome.durationMs / 1000).toFixed(1)} s`, '', '', '', '']);
    if ('error' in outcome) {
      lines.push([`  FAILED: ${outcome.error}`, '', '', '', '']);
      continue;
    }
    for (const row of outcome.result.rows) lines.push(formatRow(row));
  }
  const header = ['metric', 'value', 'unit', 'target', ''];
  const widths = header.map((title, column) =>
    Math.max(
      title.length,
      ...lines.map((line, index) => (sectionStarts.includes(index) ? 0 : (line[column] ?? '').length)),
    ),
  );
  const render = (line: string[]) =>
    line
      .map((cell, column) =>
        column === 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((sum, width) => sum + width + 2, -2));
  return [
    render(header),
    ...lines.flatMap((line, index) =>
      sectionStarts.includes(index) ? [rule, line[0] ?? ''] : [render(line)],
    ),
    rule,
  ].join('\n');
}

function formatRow(row: BenchRow): string[] {
  const metric = `  ${row.metric}`;
  const met = meetsTarget(row);
  return [
    metric.length > maxMetricWidth ? `${metric.slice(0, maxMetricWidth - 1)}…` : metric,
    String(row.value),
    row.unit,
    row.target === undefined ? '' : describeTarget(row.target),
    met === undefined ? '' : met ? 'ok' : 'MISS',
  ];
}

function describeTarget(target: NonNullable<BenchRow['target']>): string {
  return [
    target.atLeast === undefined ? undefined : `≥ ${target.atLeast}`,
    target.atMost === undefined ? undefined : `≤ ${target.atMost}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
}

export async function writeReport(
  file: string,
  startedAt: Date,
  outcomes: readonly SectionOutcome[],
): Promise<void> {
  const report = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    sections: Object.fromEntries(
      outcomes.map((outcome) => [
        outcome.section.name,
        {
          title: outcome.section.title,
          durationMs: Math.round(outcome.durationMs),
          ...('error' in outcome
            ? { error: outcome.error }
            : {
                rows: outcome.result.rows.map((row) => ({ ...row, met: meetsTarget(row) })),
                details: outcome.result.details,
              }),
        },
      ]),
    ),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
