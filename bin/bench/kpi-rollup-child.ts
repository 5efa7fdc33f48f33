/**
 * One day's rollup in a fresh process, for the `kpi-rollup` bench section's memory figures: a
 * process that has done nothing else, as a rollup Lambda's would be, so that one case's garbage or
 * caches cannot be counted in the other's.
 *
 * Run with `--expose-gc`. The heap is measured where the rollup holds the most: each time a slice's
 * orders arrive (the accumulator, the page of facts and up to 100 orders are all alive) and when
 * each dimension's rows are written (the accumulator and the finished rows). A full GC first, so
 * the figure is the LIVE heap, not garbage that has not been collected yet. Answers over IPC.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KpiRepository } from '../../functions/adapters/kpi-repository.ts';
import { type KpiRollupRepository, rollupStoreDay } from '../../functions/kpis/rollup.ts';

/** What the child answers. Bytes, except `maxRssKilobytes`. */
export interface RollupMemory {
  readonly facts: number;
  readonly rows: number;
  readonly samples: number;
  /** Live heap before the rollup, after the modules are loaded. */
  readonly baselineHeap: number;
  /** The largest live heap seen during the rollup. */
  readonly peakHeap: number;
  /** The process's peak resident set, as the OS counted it (garbage and all). */
  readonly maxRssKilobytes: number;
}

const [endpoint, tableName, storeId, date, timeZone, shipWithinHours] = process.argv.slice(2);
const collect = globalThis.gc;
if (
  endpoint === undefined ||
  tableName === undefined ||
  storeId === undefined ||
  date === undefined ||
  timeZone === undefined ||
  shipWithinHours === undefined ||
  process.send === undefined ||
  collect === undefined
) {
  throw new Error(
    'usage: forked by kpi-rollup.ts with --expose-gc: <endpoint> <table> <storeId> <date> <timeZone> <shipWithinHours>',
  );
}

const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);
const repository = new KpiRepository(client, tableName);

let peakHeap = 0;
let samples = 0;
const sample = () => {
  collect();
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  samples += 1;
};

const measured: KpiRollupRepository = {
  factsOfLocalDay: (...args) => repository.factsOfLocalDay(...args),
  ordersByIds: async (...args) => {
    const orders = await repository.ordersByIds(...args);
    sample();
    return orders;
  },
  replaceRows: (...args) => {
    sample();
    return repository.replaceRows(...args);
  },
  dayRows: (...args) => repository.dayRows(...args),
};

// Load what the first request loads lazily (the SDK's serializers, the schemas), outside the figure.
for await (const page of repository.factsOfLocalDay('str_warm_up', date, timeZone)) void page;
await repository.ordersByIds('str_warm_up', ['ord_warm_up']);
collect();
const baselineHeap = process.memoryUsage().heapUsed;
const result = await rollupStoreDay(
  {
    kpis: measured,
    stores: {
      get: async () => ({
        timezone: timeZone,
        settings: { fulfilment: { shipWithinHours: Number(shipWithinHours) } },
      }),
    },
    clock: { now: () => new Date() },
  },
  { storeId, date },
);
const memory: RollupMemory = {
  ...result,
  samples,
  baselineHeap,
  peakHeap,
  maxRssKilobytes: process.resourceUsage().maxRSS,
};
process.send(memory, () => process.exit(0));
