/**
 * `tsx bin/bundle-side.ts <outputDir> <package>…`: prebundles side-loaded packages (see
 * lib/bundling.ts) into a function's output directory. The CDK stack runs it after bundling each
 * function that uses them; the bench runs the same code.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import {
  sideBundleBuildOptions,
  sideBundleFile,
  sideBundleManifest,
  sideLoadedPackages,
} from '../lib/bundling.ts';
import type { SideLoadedPackage } from '../lib/topology.ts';

const repositoryRoot = resolve(import.meta.dirname, '..');

export async function bundleSidePackage(packageName: SideLoadedPackage, outputDir: string): Promise<string> {
  if (sideLoadedPackages[packageName].loadedBy === 'copy') return copyDataPackage(packageName, outputDir);
  await build(sideBundleBuildOptions(packageName, outputDir, repositoryRoot));
  const file = sideBundleFile(packageName, outputDir);
  await writeFile(`${dirname(file)}/package.json`, sideBundleManifest(packageName));
  return file;
}

/** A data-only package (JSON files and its package.json) goes beside the bundle as it is. */
async function copyDataPackage(packageName: string, outputDir: string): Promise<string> {
  const source = join(repositoryRoot, 'node_modules', packageName);
  const target = join(outputDir, 'node_modules', packageName);
  await mkdir(target, { recursive: true });
  const files = (await readdir(source)).filter((file) => file.endsWith('.json'));
  await Promise.all(files.map((file) => copyFile(join(source, file), join(target, file))));
  return target;
}

function isSideLoadedPackage(name: string): name is SideLoadedPackage {
  return Object.hasOwn(sideLoadedPackages, name);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [outputDir, ...packages] = process.argv.slice(2);
  if (outputDir === undefined || packages.length === 0) {
    console.error('usage: tsx bin/bundle-side.ts <outputDir> <package>…');
    process.exit(2);
  }
  for (const packageName of packages) {
    if (!isSideLoadedPackage(packageName)) throw new Error(`${packageName} is not a side-loaded package`);
    await bundleSidePackage(packageName, outputDir);
  }
}
