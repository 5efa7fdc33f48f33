/**
 * `npm run rollup -- --store <id> --from <date> --to <date>`: rolls a store's KPIs up again for
 * the store-local days from `from` to `to` (at most 366), on a running backend, through the admin
 * API (`POST /admin/v1/stores/{storeId}/kpis/rollups`), and draws the job's progress until it ends.
 *
 * `SALESOPS_API_URL` (default http://127.0.0.1:3000) and `SALESOPS_ADMIN_TOKEN` (default
 * admin_local) say where. On a terminal the progress bar is redrawn on one line; otherwise (a log,
 * a pipe) a line is printed each time the progress changes.
 *
 * Exit status: 0 when the job completed, 1 when it failed (or the API refused it), 2 for bad
 * arguments.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { addDays, isLocalDate } from '../functions/domain/kpis.ts';

const usage = `Usage: npm run rollup -- --store <storeId> --from <YYYY-MM-DD> --to <YYYY-MM-DD>

Rolls up a store's KPIs for the store-local days from..to (both included, at most 366 days),
then their weeks, months and quarters, and shows the job's progress.

Environment: SALESOPS_API_URL (default http://127.0.0.1:3000), SALESOPS_ADMIN_TOKEN (default admin_local).`;

const apiUrl = (process.env.SALESOPS_API_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const adminToken = process.env.SALESOPS_ADMIN_TOKEN ?? 'admin_local';
const pollEveryMs = 250;
/** Polls that may fail in a row (the API restarting) before the CLI gives up. */
const pollFailuresAllowed = 10;
const maxDays = 366;
const barWidth = 30;

interface Job {
  readonly id: string;
  readonly status: 'queued' | 'running' | 'completed' | 'failed';
  readonly progress: { readonly done: number; readonly total: number };
}

class BadArguments extends Error {}

function parseArguments(argv: readonly string[]): { store: string; from: string; to: string } {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        store: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BadArguments(error instanceof Error ? error.message : String(error));
  }
  const { store, from, to } = values;
  if (typeof store !== 'string' || store === '') throw new BadArguments('--store is required');
  if (typeof from !== 'string' || !isLocalDate(from))
    throw new BadArguments('--from must be a date YYYY-MM-DD');
  if (typeof to !== 'string' || !isLocalDate(to)) throw new BadArguments('--to must be a date YYYY-MM-DD');
  if (to < from) throw new BadArguments('--to must not be before --from');
  if (to > addDays(from, maxDays - 1)) throw new BadArguments(`at most ${maxDays} days from --from to --to`);
  return { store, from, to };
}

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

/** `rlp_… [██████░░░░] 12/30 days · running` */
function progressLine(job: Job): string {
  const { done, total } = job.progress;
  const filled = total === 0 ? barWidth : Math.round((barWidth * Math.min(done, total)) / total);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
  return `${job.id} [${bar}] ${done}/${total} days · ${job.status}`;
}

function drawer(): { draw(job: Job): void; end(): void } {
  const onTerminal = process.stdout.isTTY === true;
  let last = '';
  return {
    draw(job) {
      const line = progressLine(job);
      if (line === last) return;
      if (onTerminal) process.stdout.write(`\r${line.padEnd(last.length)}`);
      else process.stdout.write(`${line}\n`);
      last = line;
    },
    end() {
      if (onTerminal && last !== '') process.stdout.write('\n');
    },
  };
}

async function run(argv: readonly string[]): Promise<number> {
  let request: { store: string; from: string; to: string };
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    request = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof BadArguments)) throw error;
    process.stderr.write(`${error.message}\n\n${usage}\n`);
    return 2;
  }

  const base = `/admin/v1/stores/${encodeURIComponent(request.store)}/kpis/rollups`;
  const started = await call<Job & { detail?: string }>('POST', base, { from: request.from, to: request.to });
  if (started.status !== 202) {
    process.stderr.write(`The rollup was not started (${started.status}): ${started.body.detail ?? ''}\n`);
    return started.status === 400 ? 2 : 1;
  }
  const { id } = started.body;
  const progress = drawer();
  let failures = 0;
  for (;;) {
    let job: Job;
    try {
      const reply = await call<Job>('GET', `${base}/${encodeURIComponent(id)}`);
      if (reply.status !== 200) throw new Error(`GET ${base}/${id} answered ${reply.status}`);
      job = reply.body;
      failures = 0;
    } catch (error) {
      if (++failures > pollFailuresAllowed) {
        progress.end();
        process.stderr.write(`Lost the job's progress: ${error instanceof Error ? error.message : error}\n`);
        return 1;
      }
      await sleep(pollEveryMs);
      continue;
    }
    progress.draw(job);
    if (job.status === 'completed' || job.status === 'failed') {
      progress.end();
      if (job.status === 'failed') process.stderr.write(`Rollup ${id} failed.\n`);
      return job.status === 'completed' ? 0 : 1;
    }
    await sleep(pollEveryMs);
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  // Typically the API is not running: say which URL was tried.
  process.stderr.write(`${error instanceof Error ? error.message : String(error)} (API: ${apiUrl})\n`);
  process.exitCode = 1;
}
