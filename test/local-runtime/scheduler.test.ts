import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startScheduler } from '../../bin/local/scheduler.ts';

interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('startScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runNow invokes the schedule with an EventBridge Scheduled Event and a Lambda context', async () => {
    // Prepare
    const calls: { event: ScheduledEvent; context: Context }[] = [];
    const scheduler = startScheduler([
      {
        name: 'sweep',
        everyMinutes: 1,
        functionName: 'sweeper',
        timeoutSeconds: 60,
        invoke: async (event, context) => {
          calls.push({ event, context });
        },
      },
    ]);

    // Act
    await scheduler.runNow('sweep');
    await scheduler.stop();

    // Assess
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: expect.stringMatching(/^\d{12}$/),
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      region: expect.any(String),
      resources: [expect.stringMatching(/^arn:aws:events:[a-z0-9-]+:\d{12}:rule\/sweep$/)],
      detail: {},
    });
    expect(call?.context.functionName).toBe('sweeper');
    expect(call?.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(call?.context.getRemainingTimeInMillis()).toBe(60_000);
  });

  it('fires each schedule on its own interval', async () => {
    // Prepare
    const fired: string[] = [];
    const scheduler = startScheduler(
      [
        { name: 'everyMinute', everyMinutes: 1, invoke: async () => fired.push('everyMinute') },
        { name: 'everyFive', everyMinutes: 5, invoke: async () => fired.push('everyFive') },
      ],
      { tickMs: (everyMinutes) => everyMinutes * 1_000 },
    );

    // Act
    await vi.advanceTimersByTimeAsync(10_000);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(fired.filter((name) => name === 'everyMinute')).toHaveLength(10);
    expect(fired.filter((name) => name === 'everyFive')).toHaveLength(2);
  });

  it('never overlaps runs of one schedule, whether started by a tick or by runNow', async () => {
    // Prepare
    const gates = [gate(), gate(), gate()];
    let active = 0;
    let maxActive = 0;
    let invocations = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'sweep',
          everyMinutes: 1,
          invoke: async () => {
            const current = gates[invocations];
            invocations += 1;
            active += 1;
            maxActive = Math.max(maxActive, active);
            await current?.opened;
            active -= 1;
          },
        },
      ],
      { tickMs: () => 1_000 },
    );

    // Act: a manual run, a second one queued behind it, and ticks that find a run in progress.
    const first = scheduler.runNow('sweep');
    const second = scheduler.runNow('sweep');
    await vi.advanceTimersByTimeAsync(5_000);
    const invocationsWhileFirstRuns = invocations;
    gates[0]?.open();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    const invocationsAfterFirst = invocations;
    gates[1]?.open();
    await second;
    await vi.advanceTimersByTimeAsync(1_000);
    const invocationsAfterNextTick = invocations;
    gates[2]?.open();
    await scheduler.stop();

    // Assess
    expect(invocationsWhileFirstRuns).toBe(1);
    expect(invocationsAfterFirst).toBe(2);
    expect(invocationsAfterNextTick).toBe(3);
    expect(maxActive).toBe(1);
  });

  it('reports a failing timed run and keeps firing; runNow rejects with the failure', async () => {
    // Prepare
    const failure = new Error('table unavailable');
    const reported: { name: string; error: unknown }[] = [];
    let invocations = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'sweep',
          everyMinutes: 1,
          invoke: async () => {
            invocations += 1;
            if (invocations <= 2) {
              throw failure;
            }
          },
        },
      ],
      { tickMs: () => 1_000, onError: (name, error) => reported.push({ name, error }) },
    );

    // Act
    await vi.advanceTimersByTimeAsync(1_000);
    const manualRun = scheduler.runNow('sweep');
    await expect(manualRun).rejects.toBe(failure);
    await vi.advanceTimersByTimeAsync(1_000);
    await scheduler.stop();

    // Assess
    expect(invocations).toBe(3);
    expect(reported).toEqual([{ name: 'sweep', error: failure }]);
  });

  it('stop waits for the running invocation and then refuses new runs', async () => {
    // Prepare
    const running = gate();
    let finished = false;
    const scheduler = startScheduler([
      {
        name: 'sweep',
        everyMinutes: 1,
        invoke: async () => {
          await running.opened;
          finished = true;
        },
      },
    ]);
    const run = scheduler.runNow('sweep');

    // Act
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(120_000);
    const stoppedBeforeRunEnded = stopped;
    running.open();
    await stopping;
    await run;

    // Assess
    expect(stoppedBeforeRunEnded).toBe(false);
    expect(finished).toBe(true);
    await expect(scheduler.runNow('sweep')).rejects.toThrow(/stopped/);
  });

  it('rejects unknown and duplicate schedule names', async () => {
    const noop = async (): Promise<void> => {};
    expect(() =>
      startScheduler([
        { name: 'sweep', everyMinutes: 1, invoke: noop },
        { name: 'sweep', everyMinutes: 5, invoke: noop },
      ]),
    ).toThrow(/defined twice/);

    const scheduler = startScheduler([{ name: 'sweep', everyMinutes: 1, invoke: noop }]);
    await expect(scheduler.runNow('reconcile')).rejects.toThrow(/No schedule named 'reconcile'/);
    await scheduler.stop();
  });
});
