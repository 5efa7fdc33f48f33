/**
 * Section `kpi-rollup` (issue 5): what one store-day's KPI rollup costs, and that the cost is the
 * day's own.
 *
 * A store's day of 2 000 orders (moved through the real state machines, so their facts are the
 * ones the order writers store) is written to two DynamoDB Locals: one where the store's other
 * days hold 10 000 facts, the other where they hold 100 000 (written with parallel BatchWriteItem
 * calls). The day is rolled up in both, in turn, so that whatever else the machine runs weighs on
 * both alike. The figures: the fastest run's time (other processes only ever add time), the CPU
 * time the rollup took in this process and in the DynamoDB Local JVM (which waiting for a busy
 * machine does not inflate), and the read capacity DynamoDB says it consumed
 * (`ReturnConsumedCapacity: TOTAL` on its Queries and BatchGetItems). None should move: the rollup
 * reads only the day's hour partitions and the orders they name.
 *
 * Memory: the same rollup in a fresh child process for that day and for a day of 10 000 orders
 * (bin/bench/kpi-rollup-child.ts). The figure is the peak LIVE heap of the process (a forced full
 * GC before each sample, taken where the rollup holds the most), with the heap above the
 * pre-rollup baseline and the OS's peak RSS beside it. The rollup streams, so only the
 * accumulator's own lists (one duration per shipped and per delivered order and dimension) grow
 * with the day's orders.
 */
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KpiRepository } from '../../functions/adapters/kpi-repository.ts';
import { factItem } from '../../functions/adapters/kpi-writes.ts';
import type { Fact } from '../../functions/domain/kpis.ts';
import { type RollupDependencies, rollupStoreDay } from '../../functions/kpis/rollup.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { createTables } from '../local/tables.ts';
import type { RollupMemory } from './kpi-rollup-child.ts';
import { fillerFacts, generateDay, writeItems } from './kpi-rollup-data.ts';
import type { BenchRow, BenchSection } from './section.ts';
import { median, round } from './stats.ts';

const storeId = 'str_kpibench';
const timeZone = 'America/New_York';
const shipWithinHours = 24;
/** The measured day, and a day two weeks before it that is five times as busy. */
const day = { date: '2026-11-18', orders: 2_000, seed: 1 };
const busyDay = { date: '2026-11-04', orders: 10_000, seed: 2 };
const otherFacts = [10_000, 100_000] as const;
/** Other days' facts are spread over this many days either side of the measured one. */
const spanDays = 45;
const runs = 3;
const tableNames = { main: 'kpi-bench-main', idempotency: 'kpi-bench-idempotency' };

const targets = { timeRatio: 1.15, capacityRatio: 1, memoryRatio: 1.2 };
const megabyte = 1024 * 1024;
const count = (value: number) => value.toLocaleString('en');

interface RollupCost {
  readonly timesMs: number[];
  /** Other processes only ever add time, so the fastest run is the rollup's own cost. */
  readonly fastestMs: number;
  readonly medianMs: number;
  /**
   * CPU time of the rollup, this process's plus the DynamoDB Local JVM's: unlike the wall time, it
   * does not count waiting for a CPU that other processes hold. Undefined where /proc is missing.
   */
  readonly cpuMs: number | undefined;
  /** Read capacity of one rollup (every run reads the same). */
  readonly readCapacity: number;
  readonly readCapacityPerRun: number[];
  readonly requests: Record<string, number>;
  readonly facts: number;
  readonly rows: number;
}

export const kpiRollup: BenchSection = {
  name: 'kpi-rollup',
  title: `KPI rollup of a ${count(day.orders)}-order day beside ${otherFacts.map(count).join(' and ')} facts on other days; memory vs a ${count(busyDay.orders)}-order day`,
  async run({ repositoryRoot, log }) {
    const databases: Database[] = [];
    try {
      const [beside10k, beside100k] = await Promise.all([openDatabase(), openDatabase()]);
      databases.push(beside10k, beside100k);

      const measured = generateDay({ storeId, timeZone, ...day });
      const busy = generateDay({ storeId, timeZone, ...busyDay });
      const measuredItems = [
        ...measured.orderItems,
        ...factItems([...measured.factsOfDay, ...measured.factsOfOtherDays]),
      ];
      const filler = (count: number, seed: number) =>
        factItems(fillerFacts({ date: day.date, timeZone, count, spanDays, seed }));
      const busyFacts = busy.factsOfDay.length + busy.factsOfOtherDays.length;
      const writes = [
        [...measuredItems, ...filler(otherFacts[0] - measured.factsOfOtherDays.length, 11)],
        [
          ...measuredItems,
          ...busy.orderItems,
          ...factItems([...busy.factsOfDay, ...busy.factsOfOtherDays]),
          ...filler(otherFacts[1] - measured.factsOfOtherDays.length - busyFacts, 12),
        ],
      ] as const;
      log(
        `${day.date}: ${day.orders} orders, ${measured.factsOfDay.length} facts that day; written to two ` +
          `DynamoDB Locals, one with ${otherFacts[0]} facts on other days, the other with ${otherFacts[1]} ` +
          `(${busyFacts} of them from ${busyDay.date}'s ${busyDay.orders} orders): ${writes[0].length} + ` +
          `${writes[1].length} items`,
      );
      const started = performance.now();
      await Promise.all([
        writeItems(beside10k.writes, tableNames.main, writes[0]),
        writeItems(beside100k.writes, tableNames.main, writes[1]),
      ]);
      log(`  written in ${round((performance.now() - started) / 1000)} s`);

      log(`rolling up ${day.date} in each: 1 to warm up, then ${runs} in turn`);
      const [cost10k, cost100k] = await measureRollups([beside10k, beside100k]);

      log(
        `memory: ${day.date} (${day.orders} orders), then ${busyDay.date} (${busyDay.orders} orders), each in a fresh process`,
      );
      const small = await memoryOfRollup(repositoryRoot, beside100k.local.endpoint, day.date);
      const large = await memoryOfRollup(repositoryRoot, beside100k.local.endpoint, busyDay.date);

      const rows: BenchRow[] = [
        { metric: 'facts of the day rolled up', value: cost10k.facts, unit: 'count' },
        { metric: 'rows written', value: cost10k.rows, unit: 'count' },
        ...costRows(cost10k, otherFacts[0]),
        ...costRows(cost100k, otherFacts[1]),
        {
          metric: 'rollup time ratio (100,000 ÷ 10,000 other facts)',
          value: round(cost100k.fastestMs / cost10k.fastestMs, 3),
          unit: '×',
          target: { atMost: targets.timeRatio },
        },
        ...(cost10k.cpuMs === undefined || cost100k.cpuMs === undefined
          ? []
          : [
              {
                metric: 'rollup CPU time ratio (100,000 ÷ 10,000 other facts)',
                value: round(cost100k.cpuMs / cost10k.cpuMs, 3),
                unit: '×',
                target: { atMost: targets.timeRatio },
              },
            ]),
        {
          metric: 'read capacity ratio (100,000 ÷ 10,000 other facts)',
          value: round(cost100k.readCapacity / cost10k.readCapacity, 3),
          unit: '×',
          target: { atLeast: targets.capacityRatio, atMost: targets.capacityRatio },
        },
        ...memoryRows(day.orders, small),
        ...memoryRows(busyDay.orders, large),
        {
          metric: `peak live heap ratio (${count(busyDay.orders)} ÷ ${count(day.orders)} orders)`,
          value: round(large.peakHeap / small.peakHeap, 3),
          unit: '×',
          target: { atMost: targets.memoryRatio },
        },
        {
          metric: `rollup's own heap ratio (above baseline, ${count(busyDay.orders)} ÷ ${count(day.orders)})`,
          value: round((large.peakHeap - large.baselineHeap) / (small.peakHeap - small.baselineHeap), 3),
          unit: '×',
        },
        {
          metric: `peak RSS ratio (${count(busyDay.orders)} ÷ ${count(day.orders)} orders)`,
          value: round(large.maxRssKilobytes / small.maxRssKilobytes, 3),
          unit: '×',
          target: { atMost: targets.memoryRatio },
        },
      ];
      return {
        rows,
        details: {
          storeId,
          timeZone,
          day,
          busyDay,
          runs,
          rollups: { [otherFacts[0]]: cost10k, [otherFacts[1]]: cost100k },
          memory: { [day.orders]: small, [busyDay.orders]: large },
        },
      };
    } finally {
      await Promise.all(databases.map((database) => database.local.stop()));
    }
  },
};

interface Database {
  readonly local: DynamoDbLocal;
  readonly writes: DynamoDBDocumentClient;
  /** The rollup, on a client of its own whose reads the meter counts. */
  readonly rollup: RollupDependencies;
  readonly meter: ReadMeter;
  /** CPU milliseconds used so far by this process and the JVM, if the OS tells. */
  readonly cpuClock: (() => Promise<number>) | undefined;
}

async function openDatabase(): Promise<Database> {
  const local = await startDynamoDbLocal();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const writer = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials });
  await createTables(writer, tableNames);
  const reader = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials });
  const meter = new ReadMeter();
  meter.attach(reader);
  return {
    local,
    writes: DynamoDBDocumentClient.from(writer, { marshallOptions: { removeUndefinedValues: true } }),
    rollup: {
      kpis: new KpiRepository(DynamoDBDocumentClient.from(reader), tableNames.main),
      stores: { get: async () => ({ timezone: timeZone, settings: { fulfilment: { shipWithinHours } } }) },
      clock: { now: () => new Date() },
    },
    meter,
    cpuClock: await cpuClockOf(local.port),
  };
}

function factItems(facts: readonly Fact[]): Record<string, unknown>[] {
  return facts.map((fact) => factItem(storeId, fact));
}

/**
 * One rollup of the day in each database to warm up, then `runs` in each, in turn (the order
 * swapped every run), so that whatever else the machine does falls on both alike.
 */
async function measureRollups(databases: readonly [Database, Database]): Promise<[RollupCost, RollupCost]> {
  for (const database of databases) await rollupStoreDay(database.rollup, { storeId, date: day.date });
  const samples = databases.map(() => ({
    timesMs: [] as number[],
    cpuMs: [] as number[],
    readCapacity: [] as number[],
  }));
  const last: { facts: number; rows: number; requests: Record<string, number> }[] = [];
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? [0, 1] : [1, 0];
    for (const index of order) {
      const database = databases[index];
      const sample = samples[index];
      if (database === undefined || sample === undefined) throw new Error(`no database ${index}`);
      database.meter.reset();
      const cpuBefore = await database.cpuClock?.();
      const started = performance.now();
      const result = await rollupStoreDay(database.rollup, { storeId, date: day.date });
      sample.timesMs.push(performance.now() - started);
      const cpuAfter = await database.cpuClock?.();
      if (cpuBefore !== undefined && cpuAfter !== undefined) sample.cpuMs.push(cpuAfter - cpuBefore);
      sample.readCapacity.push(database.meter.readCapacity);
      last[index] = { ...result, requests: { ...database.meter.requests } };
    }
  }
  const cost = (index: number): RollupCost => {
    const sample = samples[index];
    const result = last[index];
    if (sample === undefined || result === undefined) throw new Error(`no samples of database ${index}`);
    return {
      timesMs: sample.timesMs.map((ms) => round(ms)),
      fastestMs: Math.min(...sample.timesMs),
      medianMs: median(sample.timesMs),
      cpuMs: sample.cpuMs.length === 0 ? undefined : median(sample.cpuMs),
      readCapacity: median(sample.readCapacity),
      readCapacityPerRun: sample.readCapacity,
      ...result,
    };
  };
  return [cost(0), cost(1)];
}

function costRows(cost: RollupCost, otherFactCount: number): BenchRow[] {
  const beside = `beside ${count(otherFactCount)} other facts`;
  return [
    { metric: `rollup time, ${beside} (fastest of ${runs})`, value: round(cost.fastestMs), unit: 'ms' },
    { metric: `rollup time, ${beside} (median of ${runs})`, value: round(cost.medianMs), unit: 'ms' },
    ...(cost.cpuMs === undefined
      ? []
      : [
          {
            metric: `rollup CPU time (node + DynamoDB Local), ${beside}`,
            value: round(cost.cpuMs),
            unit: 'ms',
          },
        ]),
    { metric: `rollup read capacity, ${beside}`, value: round(cost.readCapacity, 2), unit: 'RCU' },
    {
      metric: `rollup requests, ${beside}`,
      value: Object.values(cost.requests).reduce((sum, count) => sum + count, 0),
      unit: 'count',
    },
  ];
}

function memoryRows(orders: number, memory: RollupMemory): BenchRow[] {
  const of = `${count(orders)}-order day`;
  return [
    { metric: `peak live heap, ${of}`, value: round(memory.peakHeap / megabyte, 2), unit: 'MB' },
    {
      metric: `rollup's own heap (above baseline), ${of}`,
      value: round((memory.peakHeap - memory.baselineHeap) / megabyte, 2),
      unit: 'MB',
    },
    { metric: `peak RSS, ${of}`, value: round(memory.maxRssKilobytes / 1024, 1), unit: 'MB' },
  ];
}

async function memoryOfRollup(repositoryRoot: string, endpoint: string, date: string): Promise<RollupMemory> {
  const child = fork(
    join(repositoryRoot, 'bin/bench/kpi-rollup-child.ts'),
    [endpoint, tableNames.main, storeId, date, timeZone, String(shipWithinHours)],
    {
      cwd: repositoryRoot,
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = once(child, 'exit');
  const answered = once(child, 'message');
  const outcome = await Promise.race([answered, exited.then(([code]) => new Error(`exited with ${code}`))]);
  if (outcome instanceof Error)
    throw new Error(`the rollup of ${date} in a child process ${outcome.message}`);
  await exited;
  return outcome[0] as RollupMemory;
}

/**
 * Counts a client's requests and sums the read capacity DynamoDB says they consumed: Queries and
 * BatchGetItems are sent with `ReturnConsumedCapacity: TOTAL`.
 */
class ReadMeter {
  readCapacity = 0;
  requests: Record<string, number> = {};

  reset(): void {
    this.readCapacity = 0;
    this.requests = {};
  }

  attach(client: DynamoDBClient): void {
    const reads = new Set(['QueryCommand', 'BatchGetItemCommand']);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        const input = args.input as { ReturnConsumedCapacity?: string };
        if (reads.has(name)) input.ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        this.requests[name] = (this.requests[name] ?? 0) + 1;
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const entry of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
          this.readCapacity += (entry as { CapacityUnits?: number }).CapacityUnits ?? 0;
        }
        return result;
      },
      { step: 'initialize', name: 'kpiBenchReadMeter' },
    );
  }
}

/**
 * A clock of the CPU time used by this process and by the DynamoDB Local JVM listening on `port`,
 * read from /proc (Linux); undefined elsewhere.
 */
async function cpuClockOf(port: number): Promise<(() => Promise<number>) | undefined> {
  const pid = await jvmListeningOn(port);
  if (pid === undefined) return undefined;
  let ticksPerSecond = 100;
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // 100 is the kernel's USER_HZ on every common build.
  }
  return async () => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After the command name (in parentheses, may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const jvmTicks = Number(fields[11]) + Number(fields[12]);
    const own = process.cpuUsage();
    return (jvmTicks * 1000) / ticksPerSecond + (own.user + own.system) / 1000;
  };
}

async function jvmListeningOn(port: number): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (args.includes('DynamoDBLocal.jar') && args[args.indexOf('-port') + 1] === String(port)) {
        return Number(entry);
      }
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return undefined;
}
