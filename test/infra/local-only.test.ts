/**
 * The local stack's clock control (bin/local/clock.ts) exists only on the local stack: no
 * deployed route reaches it and no Lambda bundle carries it, while the running local server
 * answers it.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { esbuildBuildOptions } from '../../lib/bundling.ts';
import { functionDefinition, functionNames } from '../../lib/topology.ts';
import { synthesize } from './synth.ts';
import { type SynthesizedTopology, synthesizedTopology } from './synthesized-topology.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
let deployed: SynthesizedTopology;

beforeAll(() => {
  deployed = synthesizedTopology(synthesize().template);
});

describe('the local clock control', () => {
  it('is served by the local stack', async () => {
    const response = await fetch(`${inject('apiUrl')}/_local/clock`);
    expect(response.status).toBe(200);
    const state = (await response.json()) as { now: string; offsetMs: number };
    expect(Math.abs(Date.parse(state.now) - Date.now() - state.offsetMs)).toBeLessThan(60_000);
  });

  it('is not a deployed route', () => {
    expect(deployed.routes.length).toBeGreaterThan(10);
    expect(deployed.routes.filter((route) => route.includes('/_local'))).toEqual([]);
  });

  it('is in no Lambda bundle', async () => {
    for (const name of functionNames) {
      const result = await build({
        ...esbuildBuildOptions(`${repositoryRoot}${functionDefinition(name).entry}`, `${name}.mjs`),
        write: false,
        sourcemap: false,
        minify: false,
      });
      const code = result.outputFiles?.[0]?.text ?? '';
      expect(code.length, name).toBeGreaterThan(1000);
      expect(code, name).not.toContain('installLocalClock');
      expect(code, name).not.toContain('/_local/');
    }
  });
});
