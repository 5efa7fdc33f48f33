/**
 * `tsx bin/bundle-side.ts <outputDir> <package>…`: prebundles side-loaded packages (see
 * lib/bundling.ts) into a function's output directory. The CDK stack runs it after bundling each
 * function that uses them; the bench runs the same code.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { build } from 'esbuild';
import { sideBundleBuildOptions, sideBundleFile, sideBundleManifest } from '../lib/bundling.ts';

const repositoryRoot = resolve(import.meta.dirname, '..');

export async function bundleSidePackage(packageName: string, outputDir: string): Promise<string> {
  await build(sideBundleBuildOptions(packageName, outputDir, repositoryRoot));
  const file = sideBundleFile(packageName, outputDir);
  await writeFile(`${dirname(file)}/package.json`, sideBundleManifest(packageName));
  return file;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [outputDir, ...packages] = process.argv.slice(2);
  if (outputDir === undefined || packages.length === 0) {
    console.error('usage: tsx bin/bundle-side.ts <outputDir> <package>…');
    process.exit(2);
  }
  for (const packageName of packages) await bundleSidePackage(packageName, outputDir);
}
