/**
 * How every Lambda bundle is built, shared by the CDK stack (NodejsFunction) and by the benchmark,
 * which runs esbuild directly, so that what is measured is what is deployed.
 *
 * Plain data on purpose: the benchmark imports it without pulling in aws-cdk-lib.
 */
import type { BuildOptions } from 'esbuild';

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
   * Nothing is external: the bundled AWS SDK loads faster than the runtime's copy, and the
   * deployed code then runs exactly the SDK version the tests ran against.
   */
  external: [],
} as const;

/** esbuild options that build one handler the way the CDK stack does. */
export function esbuildBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: lambdaBundling.format,
    platform: lambdaBundling.platform,
    target: lambdaBundling.target,
    mainFields: [...lambdaBundling.mainFields],
    minify: lambdaBundling.minify,
    sourcemap: lambdaBundling.sourcemap,
    sourcesContent: lambdaBundling.sourcesContent,
    banner: { js: lambdaBundling.banner },
    external: [...lambdaBundling.external],
    logLevel: 'warning',
  };
}
