/**
 * On-demand rollup jobs over HTTP (contract section 8, docs/kpis.md "On demand"): the job is
 * written, its days go through the stack's `kpi-rollups` queue and consumer, then its periods, and
 * `GET /v1/kpis/rollups/{id}` follows it to `completed`. Each test uses stores of its own.
 */

import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { addDays, localDate, periodOf } from '../../functions/domain/kpis.ts';
import { oldestRollableDate } from '../../functions/kpis/jobs.ts';
import { call, createStore, problem, putProduct, type TestStore } from '../support/api.ts';
import { eventually, placeOrder } from '../support/orders-flow.ts';

type Job = {
  id: string;
  status: string;
  progress: { done: number; total: number };
};

const finished = (job: Job) => job.status === 'completed' || job.status === 'failed';

async function startJob(store: TestStore, body: unknown, headers: Record<string, string> = {}) {
  return store.call<Job>('POST', '/v1/kpis/rollups', { body, headers });
}

const readJob = async (store: TestStore, id: string) =>
  (await store.call<Job>('GET', `/v1/kpis/rollups/${id}`)).body;

const admin = (method: string, path: string, body?: unknown) =>
  call<Job>(method, path, { token: inject('adminToken'), ...(body === undefined ? {} : { body }) });

/** The oldest date a job may start from, moved by `days`. */
const oldestRollableDateOf = (days: number) => addDays(oldestRollableDate(new Date()), days);

describe('POST /v1/kpis/rollups', () => {
  it('validates the body strictly, naming the field', async () => {
    const store = await createStore();
    const cases: [unknown, string][] = [
      [{ to: '2026-01-03' }, '/from'],
      [{ from: '2026-01-01' }, '/to'],
      [{ from: '2026-02-30', to: '2026-03-01' }, '/from'],
      [{ from: '2026-01-01', to: '01/03/2026' }, '/to'],
      [{ from: '2026-01-03', to: '2026-01-01' }, '/to'],
      // 367 days: one more than a job may hold (2028 is a leap year: 366 days fit exactly).
      [{ from: '2026-01-01', to: '2027-01-02' }, '/to'],
      [{ from: '2026-01-01', to: '2026-01-02', granularity: 'day' }, '/granularity'],
      // Past the facts' 13-month retention: re-rolling would empty the day's rows.
      [{ from: oldestRollableDateOf(-1), to: oldestRollableDateOf(5) }, '/from'],
    ];
    for (const [body, path] of cases) {
      const response = await startJob(store, body);
      expect(problem(response), JSON.stringify(body)).toMatchObject({
        status: 400,
        code: 'validation_failed',
      });
      expect(problem(response).body.errors, JSON.stringify(body)).toContainEqual(
        expect.objectContaining({ path }),
      );
    }
    // 366 days pass validation: the admin route then answers 404 for its unknown store, without
    // queueing a year of days on the shared stack.
    const longest = await admin('POST', '/admin/v1/stores/str_unknown/kpis/rollups', {
      from: '2028-01-01',
      to: '2028-12-31',
    });
    expect(problem(longest)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('queues a job whose days and periods run through the queue until it is completed', async () => {
    const store = await createStore();
    const started = await startJob(store, { from: '2026-01-05', to: '2026-01-08' });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ id: expect.stringMatching(/^rlp_/), status: 'queued' });

    const job = await eventually(() => readJob(store, started.body.id), finished);

    expect(job).toEqual({ id: started.body.id, status: 'completed', progress: { done: 4, total: 4 } });
  });

  it("rolls up the job's days from their facts, then their week", async () => {
    const store = await createStore();
    await putProduct(store, 'MUG', { unitAmount: 1299, stock: 5 });
    const placed = await placeOrder(store, 'MUG');
    const order = await store.call<{ createdAt: string }>('GET', `/v1/orders/${placed.id}`);
    const day = localDate(order.body.createdAt, 'UTC');
    const started = await startJob(store, { from: addDays(day, -1), to: day });

    const job = await eventually(() => readJob(store, started.body.id), finished);

    expect(job).toMatchObject({ status: 'completed', progress: { done: 2, total: 2 } });
    const days = await store.call<{ data: { period: string; metrics: { checkoutsStarted: number } }[] }>(
      'GET',
      `/v1/kpis?from=${day}&to=${day}&granularity=day`,
    );
    expect(days.body.data).toEqual([
      expect.objectContaining({ period: day, metrics: expect.objectContaining({ checkoutsStarted: 1 }) }),
    ]);
    const weeks = await store.call<{ data: { period: string; metrics: { checkoutsStarted: number } }[] }>(
      'GET',
      `/v1/kpis?from=${day}&to=${day}&granularity=week`,
    );
    expect(weeks.body.data).toEqual([
      expect.objectContaining({
        period: periodOf(day, 'week'),
        metrics: expect.objectContaining({ checkoutsStarted: 1 }),
      }),
    ]);
  });

  it('replays the response for a repeated Idempotency-Key, and refuses the key with another body', async () => {
    const store = await createStore();
    const headers = { 'idempotency-key': randomUUID() };
    const body = { from: '2026-02-01', to: '2026-02-02' };
    const first = await startJob(store, body, headers);
    const again = await startJob(store, body, headers);

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const reused = await startJob(store, { from: '2026-02-01', to: '2026-02-03' }, headers);
    expect(problem(reused)).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
  });
});

describe('GET /v1/kpis/rollups/{id}', () => {
  it("answers 404 for another store's job and for an unknown id", async () => {
    const [owner, other] = await Promise.all([createStore(), createStore()]);
    const started = await startJob(owner, { from: '2026-03-01', to: '2026-03-01' });

    expect(problem(await other.call('GET', `/v1/kpis/rollups/${started.body.id}`))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(problem(await owner.call('GET', '/v1/kpis/rollups/rlp_unknown'))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect((await owner.call('GET', `/v1/kpis/rollups/${started.body.id}`)).status).toBe(200);
  });
});

describe('admin rollup jobs (what npm run rollup calls)', () => {
  it("starts and follows a store's job", async () => {
    const store = await createStore();
    const path = `/admin/v1/stores/${store.id}/kpis/rollups`;
    const started = await admin('POST', path, { from: '2026-04-01', to: '2026-04-03' });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ id: expect.stringMatching(/^rlp_/), status: 'queued' });

    const job = await eventually(
      async () => (await admin('GET', `${path}/${started.body.id}`)).body,
      finished,
    );

    expect(job).toEqual({ id: started.body.id, status: 'completed', progress: { done: 3, total: 3 } });
    // The same job, as the store sees it.
    expect(await readJob(store, started.body.id)).toEqual(job);
  });

  it('answers 404 for an unknown store, or a job of another store', async () => {
    const [store, other] = await Promise.all([createStore(), createStore()]);
    const unknown = '/admin/v1/stores/str_unknown/kpis/rollups';
    expect(problem(await admin('POST', unknown, { from: '2026-04-01', to: '2026-04-01' }))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    const started = await admin('POST', `/admin/v1/stores/${store.id}/kpis/rollups`, {
      from: '2026-04-01',
      to: '2026-04-01',
    });
    expect(problem(await admin('GET', `${unknown}/${started.body.id}`))).toMatchObject({ status: 404 });
    expect(
      problem(await admin('GET', `/admin/v1/stores/${other.id}/kpis/rollups/${started.body.id}`)),
    ).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('validates the body and requires the admin token', async () => {
    const store = await createStore();
    const path = `/admin/v1/stores/${store.id}/kpis/rollups`;
    const invalid = await admin('POST', path, { from: '2026-04-02', to: '2026-04-01' });
    expect(problem(invalid).body.errors).toContainEqual(expect.objectContaining({ path: '/to' }));
    for (const token of [undefined, store.apiKey]) {
      const refused = await call('POST', path, { token, body: { from: '2026-04-01', to: '2026-04-01' } });
      expect(problem(refused)).toMatchObject({ status: 401, code: 'unauthorized' });
    }
  });
});
