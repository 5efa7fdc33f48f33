/**
 * `npm run rollup` (bin/rollup.ts) as an operator runs it, against the shared local stack: it
 * starts the admin job, follows it to the end and says so by its exit status. Its output is piped
 * here (not a terminal), so it prints one line per change of the progress.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createStore } from '../support/api.ts';

const repositoryRoot = resolve(import.meta.dirname, '../..');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('npx', ['tsx', 'bin/rollup.ts', ...args], {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        SALESOPS_API_URL: inject('apiUrl'),
        SALESOPS_ADMIN_TOKEN: inject('adminToken'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm run rollup', () => {
  it('rolls a fresh store up over three days, draws the progress and exits 0', async () => {
    const store = await createStore();

    const { code, stdout, stderr } = await runCli([
      '--store',
      store.id,
      '--from',
      '2026-06-01',
      '--to',
      '2026-06-03',
    ]);

    expect(stderr).not.toMatch(/failed|not started/i);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^rlp_\w+ \[█{30}\] 3\/3 days · completed$/);
    // A line per change, never the same line twice in a row.
    expect(lines.every((line, index) => index === 0 || line !== lines[index - 1])).toBe(true);
  }, 120_000);

  it('exits 2 with the usage on bad arguments, and 1 when the API refuses the job', async () => {
    const bad = [
      ['--store', 'str_x', '--from', '2026-06-01'],
      ['--store', 'str_x', '--from', '2026-13-01', '--to', '2026-13-02'],
      ['--store', 'str_x', '--from', '2026-06-01', '--to', '2026-06-01', '--days', '3'],
    ];
    const unknownStore = ['--store', 'str_unknown', '--from', '2026-06-01', '--to', '2026-06-01'];

    const [refused, ...runs] = await Promise.all([unknownStore, ...bad].map(runCli));

    runs.forEach(({ code, stderr }, index) => {
      expect(code, bad[index]?.join(' ')).toBe(2);
      expect(stderr).toContain('Usage: npm run rollup -- --store <storeId>');
    });
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain('404');
  }, 120_000);
});
