/** GET /v1/kpis answers in pages once the rows weigh more than one Lambda answer may hold. */
import { describe, expect, it } from 'vitest';
import { emptyPartials, kpiRows } from '../../functions/domain/kpis.ts';
import { type KpiRowStore, readKpis, type StoredKpiRow } from '../../functions/kpis/read.ts';

/** The metrics of an empty row, as the rollup derives them. */
function emptyMetrics(): StoredKpiRow['metrics'] {
  const [row] = kpiRows({
    rows: [{ dimension: 'salesRep', value: 'x', currency: 'usd', partials: emptyPartials() }],
  });
  if (row === undefined) throw new Error('kpiRows returned no row');
  return row.metrics;
}
const metrics = emptyMetrics();

/** Days × reps × currencies, in no particular order, as the table might give them. */
function storedRows(): StoredKpiRow[] {
  const rows: StoredKpiRow[] = [];
  for (const currency of ['usd', 'eur'])
    for (const value of ['rep_c', 'rep_a', 'rep_b'])
      for (const period of ['2026-11-29', '2026-11-27', '2026-11-28'])
        rows.push({
          period,
          dimension: 'salesRep',
          value,
          currency,
          metrics,
          computedAt: '2026-12-01T09:00:00.000Z',
        });
  return rows;
}

/** Rows from the first period asked for, as the table's Query gives them; records what it is asked. */
function memoryStore(rows: () => StoredKpiRow[], asked: string[] = []): KpiRowStore {
  return {
    rowsBetween: async (_store, _granularity, _dimension, fromPeriod, toPeriod) => {
      asked.push(`${fromPeriod}..${toPeriod}`);
      return rows().filter((row) => row.period >= fromPeriod && row.period <= toPeriod);
    },
    targetsBetween: async () => new Map(),
  };
}

const query = {
  storeId: 'str_pages',
  from: '2026-11-27',
  to: '2026-11-29',
  granularity: 'day',
  dimension: 'salesRep',
} as const;
const positionOf = (row: StoredKpiRow) => `${row.period} ${row.value} ${row.currency}`;
/** What one of these rows weighs in an answer (they differ by no more than a character). */
const rowBytes = Math.max(...storedRows().map((row) => Buffer.byteLength(JSON.stringify(row)) + 1));

describe('readKpis pages', () => {
  it('answers every row at once, with no cursor, while they fit', async () => {
    const page = await readKpis(memoryStore(storedRows), query);
    expect(page.data).toHaveLength(18);
    expect(page.nextCursor).toBeNull();
  });

  it('answers the rows in order across pages, each once, however many', async () => {
    const asked: string[] = [];
    const store = memoryStore(storedRows, asked);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await readKpis(store, { ...query, cursor }, 4 * rowBytes);
      expect(page.data.length).toBe(pages < 4 ? 4 : 2);
      seen.push(...page.data.map(positionOf));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(5);
    // Each later answer reads from the period the one before stopped in.
    expect(asked).toEqual([
      '2026-11-27..2026-11-29',
      '2026-11-27..2026-11-29',
      '2026-11-28..2026-11-29',
      '2026-11-28..2026-11-29',
      '2026-11-29..2026-11-29',
    ]);
    const all = (await readKpis(store, query)).data.map(positionOf);
    expect(seen).toEqual(all);
    expect(all[0]).toBe('2026-11-27 rep_a eur');
    expect(all.at(-1)).toBe('2026-11-29 rep_c usd');
  });

  it('continues after the last row answered even when rows are rewritten or added meanwhile', async () => {
    let rows = storedRows();
    const store = memoryStore(() => rows);
    const first = await readKpis(store, query, 10 * rowBytes);
    // A rollup rewrites the day between the two answers and a new rep appears on the first day.
    rows = [...storedRows(), { ...(storedRows()[0] as StoredKpiRow), period: '2026-11-27', value: 'rep_0' }];
    const second = await readKpis(store, { ...query, cursor: first.nextCursor ?? undefined });
    expect(second.data.map(positionOf)).toEqual(
      (await readKpis(memoryStore(storedRows), query)).data.slice(10).map(positionOf),
    );
  });

  it('refuses a cursor it did not write, naming the parameter', async () => {
    await expect(
      readKpis(memoryStore(storedRows), { ...query, cursor: 'bm90IGEgY3Vyc29y' }),
    ).rejects.toMatchObject({
      errors: [{ path: '/query/cursor', message: 'invalid cursor' }],
    });
  });
});
