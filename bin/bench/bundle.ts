/**
 * Builds Lambda bundles with the very esbuild options the CDK stack deploys (lib/bundling.ts), so
 * that what the bench measures is what runs on AWS.
 */
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { esbuildBuildOptions } from '../../lib/bundling.ts';
import { type FunctionName, functionDefinition } from '../../lib/topology.ts';

export interface BundleInput {
  /** Relative to the repository root, as esbuild names it. */
  readonly path: string;
  /** What the input contributes to the minified bundle. */
  readonly bytes: number;
}

export interface Bundle {
  readonly name: string;
  /** The bundle's `.mjs` file; `.mjs` so that Node loads it as ESM without a package.json. */
  readonly outfile: string;
  readonly bytes: number;
  /** Largest first. */
  readonly inputs: readonly BundleInput[];
}

export class Bundler {
  private readonly built = new Map<string, Promise<Bundle>>();

  constructor(
    private readonly repositoryRoot: string,
    private readonly outDir: string,
  ) {}

  /** The handler bundle of one function of lib/topology.ts. */
  function(name: FunctionName): Promise<Bundle> {
    return this.once(`function-${name}`, (outfile) =>
      esbuildBuildOptions(join(this.repositoryRoot, functionDefinition(name).entry), outfile),
    );
  }

  /** A module given as source text; its imports resolve from the repository (its node_modules). */
  source(name: string, contents: string): Promise<Bundle> {
    return this.once(`source-${name}`, (outfile) => {
      const { entryPoints: _entryPoints, ...options } = esbuildBuildOptions(`${name}.ts`, outfile);
      return {
        ...options,
        stdin: { contents, resolveDir: this.repositoryRoot, sourcefile: `${name}.ts`, loader: 'ts' },
      };
    });
  }

  private once(key: string, options: (outfile: string) => Parameters<typeof build>[0]): Promise<Bundle> {
    let bundle = this.built.get(key);
    if (bundle === undefined) {
      const outfile = join(this.outDir, key, 'index.mjs');
      bundle = build({ ...options(outfile), absWorkingDir: this.repositoryRoot, metafile: true }).then(
        (result) => describe(key, outfile, result.metafile),
      );
      this.built.set(key, bundle);
    }
    return bundle;
  }
}

function describe(name: string, outfile: string, metafile: Metafile): Bundle {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.mjs'))?.[1];
  if (output === undefined) throw new Error(`esbuild wrote no .mjs output for ${name}`);
  const inputs = Object.entries(output.inputs)
    .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  return { name, outfile, bytes: output.bytes, inputs };
}

/** `node_modules/@aws-sdk/client-dynamodb/...` → `@aws-sdk/client-dynamodb`; own code → `(sales-ops)`. */
export function packageOf(inputPath: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(inputPath);
  return match?.[1] ?? '(sales-ops)';
}

/** Bytes per package, largest first. */
export function bytesByPackage(inputs: readonly BundleInput[]): { package: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const input of inputs) {
    const name = packageOf(input.path);
    totals.set(name, (totals.get(name) ?? 0) + input.bytes);
  }
  return [...totals].map(([name, bytes]) => ({ package: name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
