/**
 * How every Lambda bundle is built, shared by the CDK stack (NodejsFunction) and by the benchmark,
 * which runs esbuild directly, so that what is measured is what is deployed.
 *
 * Plain data on purpose: the benchmark imports it without pulling in aws-cdk-lib.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import type { SideLoadedPackage } from './topology.ts';

/**
 * An ESM bundle still contains CommonJS dependencies that call `require` or read `__dirname`;
 * those names do not exist in an ES module, so the banner defines them. The imports are aliased so
 * that they cannot collide with names esbuild gives to bundled code.
 */
const esmCommonJsShim = [
  "import { createRequire as __salesOpsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __salesOpsFileURLToPath } from 'node:url';",
  "import { dirname as __salesOpsDirname } from 'node:path';",
  'const require = __salesOpsCreateRequire(import.meta.url);',
  'const __filename = __salesOpsFileURLToPath(import.meta.url);',
  'const __dirname = __salesOpsDirname(__filename);',
].join(' ');

export const lambdaBundling = {
  format: 'esm',
  platform: 'node',
  /** The Lambda runtime is nodejs24.x: nothing needs lowering for it. */
  target: 'node24',
  /** ESM builds of the AWS SDK are smaller and load faster than its CommonJS builds. */
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  /** Stack traces only need the mappings; embedding the sources would double the bundle. */
  sourcesContent: false,
  banner: esmCommonJsShim,
  /**
   * The AWS SDK is bundled (it loads faster than the runtime's copy, and the deployed code runs
   * exactly the SDK version the tests ran against); only the side-loaded packages stay out.
   */
  external: ['stripe', 'disposable-email-domains', '@aws-lambda-powertools/logger', 'zod/locales'],
  /** Node built-ins replaced by lighter stand-ins; each stand-in says why it is safe. */
  alias: {
    'node:stream/web': fileURLToPath(new URL('./bundling-shims/lazy-stream-web.ts', import.meta.url)),
  },
} as const;

/**
 * Packages kept out of a function's bundle and shipped beside it under `node_modules/<name>/`
 * (topology `sideLoaded`): the function loads them on first use, so their parsing is not paid on
 * every cold start. How each one ships:
 * - `import`: prebundled into one ES module, `index.mjs`, for `import()`. Stripe's SDK alone was a
 *   third of the checkout bundle.
 * - `require`: prebundled into one CommonJS file, `index.cjs`, for a synchronous `require` where
 *   the caller cannot wait. Powertools Logger is loaded by the first log line, which must be
 *   written before the call returns; most invocations write none (a checkout that succeeds logs
 *   nothing), and the logger was about 15 % of what the checkout's cold start loads beyond its
 *   DynamoDB client. zod's English messages are loaded by the first value that fails validation.
 * - `copy`: data copied as it is. The disposable-email lists were 2 MB of the fraud screening
 *   bundle.
 */
export const sideLoadedPackages: Readonly<Record<SideLoadedPackage, SideLoading>> = {
  stripe: { loadedBy: 'import', exports: 'default' },
  '@aws-lambda-powertools/logger': { loadedBy: 'require', exports: ['Logger'] },
  'zod/locales': { loadedBy: 'require', exports: ['en'] },
  'disposable-email-domains': { loadedBy: 'copy' },
};

type SideLoading =
  | { readonly loadedBy: 'import' | 'require'; readonly exports: 'default' | readonly string[] }
  | { readonly loadedBy: 'copy' };

/** Side-loaded by every function, whatever its topology entry says: every function logs and validates. */
export const sideLoadedByEveryFunction: readonly SideLoadedPackage[] = [
  '@aws-lambda-powertools/logger',
  'zod/locales',
];

/** What a function ships beside its bundle. */
export function sideLoadedBy(declared: readonly SideLoadedPackage[] = []): SideLoadedPackage[] {
  return [...new Set([...sideLoadedByEveryFunction, ...declared])];
}

/** esbuild options that prebundle a side-loaded package into a function's output directory. */
export function sideBundleBuildOptions(
  packageName: SideLoadedPackage,
  outputDir: string,
  resolveDir: string,
): BuildOptions {
  const loading = sideLoadedPackages[packageName];
  if (loading.loadedBy === 'copy') throw new Error(`${packageName} is copied, not bundled`);
  const names = loading.exports === 'default' ? 'default' : loading.exports.join(', ');
  return {
    // Only the named exports, so that tree shaking keeps the side bundle to what is used.
    stdin: {
      contents: `export { ${names} } from '${packageName}';`,
      resolveDir,
      sourcefile: `${packageName}.side-bundle.js`,
      loader: 'js',
    },
    outfile: sideBundleFile(packageName, outputDir),
    ...sharedBuildOptions(),
    ...(loading.loadedBy === 'require' ? { format: 'cjs', banner: {} } : {}),
    sourcemap: false,
  };
}

export function sideBundleFile(packageName: SideLoadedPackage, outputDir: string): string {
  const file = sideLoadedPackages[packageName].loadedBy === 'require' ? 'index.cjs' : 'index.mjs';
  return `${outputDir}/node_modules/${packageName}/${file}`;
}

/**
 * The package.json that lets Node resolve `import('<name>')` or `require('<name>')` to the
 * prebundled file. A subpath such as `zod/locales` is found as the folder of that name, as no
 * `node_modules/zod/package.json` ships beside the bundle to map it otherwise.
 */
export function sideBundleManifest(packageName: SideLoadedPackage): string {
  return sideLoadedPackages[packageName].loadedBy === 'require'
    ? JSON.stringify({ name: packageName, type: 'commonjs', main: './index.cjs' })
    : JSON.stringify({ name: packageName, type: 'module', exports: './index.mjs' });
}

/** esbuild options that build one handler the way the CDK stack does. */
export function esbuildBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    ...sharedBuildOptions(),
    sourcemap: lambdaBundling.sourcemap,
    sourcesContent: lambdaBundling.sourcesContent,
    external: [...lambdaBundling.external],
    alias: { ...lambdaBundling.alias },
  };
}

function sharedBuildOptions(): BuildOptions {
  return {
    bundle: true,
    format: lambdaBundling.format,
    platform: lambdaBundling.platform,
    target: lambdaBundling.target,
    mainFields: [...lambdaBundling.mainFields],
    minify: lambdaBundling.minify,
    banner: { js: lambdaBundling.banner },
    logLevel: 'warning',
  };
}
