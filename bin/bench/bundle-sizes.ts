/** Section 1: how big each function's deployed bundle is, and what makes the checkout bundle big. */
import { functionNames } from '../../lib/topology.ts';
import { bytesByPackage } from './bundle.ts';
import type { BenchRow, BenchSection } from './section.ts';
import { round } from './stats.ts';

const topInputs = 5;
const kb = (bytes: number) => round(bytes / 1024);

export const bundleSizes: BenchSection = {
  name: 'bundles',
  title: 'Bundle sizes (esbuild, lib/bundling.ts options)',
  async run({ bundler }) {
    const bundles = await Promise.all(functionNames.map((name) => bundler.function(name)));
    const checkout = await bundler.function('checkout');
    const rows: BenchRow[] = [
      ...functionNames.map((name, index) => ({
        metric: `${name} bundle`,
        value: kb(bundles[index]?.bytes ?? 0),
        unit: 'KB',
      })),
      ...checkout.inputs
        .slice(0, topInputs)
        .map((input) => ({ metric: `checkout input: ${input.path}`, value: kb(input.bytes), unit: 'KB' })),
    ];
    return {
      rows,
      details: {
        bundles: Object.fromEntries(
          functionNames.map((name, index) => [name, { bytes: bundles[index]?.bytes }]),
        ),
        checkoutTopInputs: checkout.inputs.slice(0, 20),
        checkoutByPackage: bytesByPackage(checkout.inputs),
      },
    };
  },
};
