/**
 * The local stack's movable clock (docs/kpis.md, "The local clock"): tests and `npm run demo` play
 * a store's day, and the KPIs' local-midnight rules only show when time passes. The stack's
 * process gets a `Date` whose "now" is the real time plus an offset, so every handler, the Stripe
 * simulator, fauxqs and the schedules move together, while `performance.now()` and timers keep
 * real time.
 *
 * Local only: nothing under functions/ or lib/ imports this module, and its control route
 * (`/_local/clock`, bin/local/http-server.ts) is not in lib/topology.ts, so neither is deployed
 * (test/infra/local-only.test.ts).
 */

const RealDate = globalThis.Date;
let offsetMs = 0;
let installed = false;

/** Real epoch milliseconds plus the offset. */
function shiftedNow(): number {
  return RealDate.now() + offsetMs;
}

/**
 * Replaces `globalThis.Date` with one that reads the shifted time when asked for "now" (no
 * arguments, or `Date.now()`); dates built from a value are untouched. Idempotent. Install it
 * before handler modules load, so every module sees it.
 */
export function installLocalClock(): void {
  if (installed) return;
  installed = true;
  class LocalDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(shiftedNow());
      else super(...(args as ConstructorParameters<DateConstructor>));
    }

    static override now(): number {
      return shiftedNow();
    }

    /** Dates made before the swap (or by code holding the real constructor) are still Dates. */
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  // Called without `new`, Date returns the current time as a string; keep that too.
  const callableDate = new Proxy(LocalDate, {
    apply: () => new RealDate(shiftedNow()).toString(),
  });
  globalThis.Date = callableDate as DateConstructor;
}

/** Puts the real `Date` back (tests that install the clock restore it). */
export function uninstallLocalClock(): void {
  globalThis.Date = RealDate;
  installed = false;
  offsetMs = 0;
}

export interface LocalClockState {
  readonly now: string;
  readonly offsetMs: number;
}

export const localClock = {
  state(): LocalClockState {
    return { now: new RealDate(shiftedNow()).toISOString(), offsetMs };
  },
  /** Makes "now" the given instant; the clock then runs on from it. */
  set(now: string): LocalClockState {
    const target = RealDate.parse(now);
    if (Number.isNaN(target)) throw new RangeError(`not a timestamp: ${now}`);
    offsetMs = target - RealDate.now();
    return localClock.state();
  },
  advance(milliseconds: number): LocalClockState {
    offsetMs += milliseconds;
    return localClock.state();
  },
  reset(): LocalClockState {
    offsetMs = 0;
    return localClock.state();
  },
};
