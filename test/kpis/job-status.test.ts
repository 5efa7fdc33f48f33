/** A rollup job's status as read: a step whose last attempt was stopped fails the job. */
import { describe, expect, it } from 'vitest';
import { effectiveStatus, newRollupJob, periodsStep, type RollupJob } from '../../functions/kpis/jobs.ts';

const createdAt = new Date('2026-05-04T10:00:00.000Z');
const deadline = '2026-05-04T10:03:00.000Z';
const before = new Date('2026-05-04T10:02:59.999Z');
const after = new Date('2026-05-04T10:03:00.001Z');

function job(overrides: Partial<RollupJob>): RollupJob {
  const queued = newRollupJob({
    id: 'rlp_status',
    storeId: 'str_status',
    origin: 'api',
    dates: ['2026-05-01', '2026-05-02'],
    now: createdAt,
  });
  return { ...queued, ...overrides };
}

describe('effectiveStatus', () => {
  it('is the stored status while no last attempt is past its deadline', () => {
    expect(effectiveStatus(job({}), after)).toBe('queued');
    const lastAttemptDeadlines = { '2026-05-02': deadline };
    expect(effectiveStatus(job({ status: 'running', lastAttemptDeadlines }), before)).toBe('running');
  });

  it('is failed once a day on its last attempt is past the deadline without being done', () => {
    const lastAttemptDeadlines = { '2026-05-02': deadline };
    expect(effectiveStatus(job({ status: 'running', lastAttemptDeadlines }), after)).toBe('failed');
    const done = job({ status: 'running', lastAttemptDeadlines, doneDates: ['2026-05-02'], done: 1 });
    expect(effectiveStatus(done, after)).toBe('running');
  });

  it('is failed once the periods step is past the deadline of its last attempt, unless completed', () => {
    const lastAttemptDeadlines = { [periodsStep]: deadline };
    const allDays = { doneDates: ['2026-05-01', '2026-05-02'], done: 2, lastAttemptDeadlines };
    expect(effectiveStatus(job({ status: 'running', ...allDays }), after)).toBe('failed');
    expect(effectiveStatus(job({ status: 'completed', ...allDays }), after)).toBe('completed');
  });
});
