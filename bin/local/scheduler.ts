import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, lambdaContext } from './sqs-poller.ts';

export interface LocalSchedule {
  readonly name: string;
  readonly everyMinutes: number;
  readonly invoke: (event: ScheduledEvent, context: Context) => Promise<unknown>;
  /** The context's `functionName`; defaults to the schedule's name. */
  readonly functionName?: string;
  /** The context's timeout (for `getRemainingTimeInMillis`); defaults to 60 s. */
  readonly timeoutSeconds?: number;
}

export interface SchedulerOptions {
  /** The interval for a schedule of `everyMinutes`; real minutes by default, shorter in tests. */
  readonly tickMs?: (everyMinutes: number) => number;
  /** Called when a timed run fails; the default writes the error's message to stderr. */
  readonly onError?: (scheduleName: string, error: unknown) => void;
}

export interface Scheduler {
  /**
   * Runs a schedule now, after its current run if one is in progress (runs of one schedule never
   * overlap), and settles with that run: rejects if the invocation throws or the scheduler is stopped.
   */
  runNow(name: string): Promise<void>;
  /** Stops the timers and resolves once every started run has finished. */
  stop(): Promise<void>;
}

/**
 * Stands in for EventBridge rules with `rate(n minutes)`: invokes each schedule on its interval with
 * a `Scheduled Event`. Unlike EventBridge, a tick that finds the previous run still going is
 * skipped, so a slow run never overlaps the next. A failing run is reported, never fatal.
 */
export function startScheduler(
  schedules: readonly LocalSchedule[],
  options: SchedulerOptions = {},
): Scheduler {
  const intervalMs = options.tickMs ?? ((everyMinutes: number) => everyMinutes * 60_000);
  const onError =
    options.onError ??
    ((scheduleName: string, error: unknown) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.stderr.write(`[scheduler ${scheduleName}] ${message}\n`);
    });

  const byName = new Map<string, LocalSchedule>();
  for (const schedule of schedules) {
    if (byName.has(schedule.name)) {
      throw new Error(`Schedule '${schedule.name}' is defined twice`);
    }
    byName.set(schedule.name, schedule);
  }

  /** The latest queued or running run of each schedule; these promises never reject. */
  const lastRun = new Map<string, Promise<void>>();
  let stopped = false;

  const runAfterPrevious = (schedule: LocalSchedule): Promise<void> => {
    const previous = lastRun.get(schedule.name) ?? Promise.resolve();
    const run = previous.then(async () => {
      await schedule.invoke(
        scheduledEvent(schedule.name),
        lambdaContext(schedule.functionName ?? schedule.name, schedule.timeoutSeconds ?? 60),
      );
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    lastRun.set(schedule.name, settled);
    void settled.then(() => {
      if (lastRun.get(schedule.name) === settled) {
        lastRun.delete(schedule.name);
      }
    });
    return run;
  };

  const timers = [...byName.values()].map((schedule) => {
    const timer = setInterval(() => {
      if (stopped || lastRun.has(schedule.name)) {
        return;
      }
      runAfterPrevious(schedule).catch((error: unknown) => onError(schedule.name, error));
    }, intervalMs(schedule.everyMinutes));
    // The scheduler alone must not keep the process alive.
    timer.unref();
    return timer;
  });

  return {
    runNow: async (name) => {
      if (stopped) {
        throw new Error(`The scheduler is stopped; cannot run '${name}'`);
      }
      const schedule = byName.get(name);
      if (schedule === undefined) {
        throw new Error(`No schedule named '${name}' (known: ${[...byName.keys()].join(', ')})`);
      }
      await runAfterPrevious(schedule);
    },
    stop: async () => {
      stopped = true;
      for (const timer of timers) {
        clearInterval(timer);
      }
      while (lastRun.size > 0) {
        await Promise.all(lastRun.values());
      }
    },
  };
}

function scheduledEvent(ruleName: string): ScheduledEvent {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge stamps whole seconds.
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}
