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
    // One esbuild run for every function: the same options, without the single outfile.
    const { outfile: _outfile, entryPoints: _entryPoints, ...options } = esbuildBuildOptions('x.ts', 'x.mjs');
    const result = await build({
      ...options,
      entryPoints: Object.fromEntries(
        functionNames.map((name) => [name, `${repositoryRoot}${functionDefinition(name).entry}`]),
      ),
      outdir: 'bundles',
      write: false,
      sourcemap: false,
      minify: false,
    });
    const bundles = result.outputFiles ?? [];
    expect(bundles).toHaveLength(functionNames.length);
    for (const bundle of bundles) {
      expect(bundle.text.length, bundle.path).toBeGreaterThan(1000);
      expect(bundle.text, bundle.path).not.toContain('installLocalClock');
      expect(bundle.text, bundle.path).not.toContain('/_local/');
    }
  });
});
