/** The local stack's movable clock: "now" moves, everything else about Date stays as it was. */
import { afterEach, describe, expect, it } from 'vitest';
import { installLocalClock, localClock, uninstallLocalClock } from '../../bin/local/clock.ts';

const day = 86_400_000;

afterEach(() => {
  uninstallLocalClock();
});

describe('the local clock', () => {
  it('moves new Date(), Date.now() and Date() together', () => {
    const before = new Date();
    installLocalClock();
    localClock.advance(day);
    expect(Date.now() - before.getTime()).toBeGreaterThanOrEqual(day);
    expect(Date.now() - before.getTime()).toBeLessThan(day + 60_000);
    expect(Date.parse(new Date().toISOString()) - before.getTime()).toBeGreaterThanOrEqual(day);
    expect(Date.parse(Date()) - before.getTime()).toBeGreaterThan(day - 60_000);
  });

  it('sets an instant, from which time runs on', () => {
    installLocalClock();
    localClock.set('2026-11-28T23:59:00.000Z');
    const now = Date.now();
    expect(now).toBeGreaterThanOrEqual(Date.parse('2026-11-28T23:59:00.000Z'));
    expect(now).toBeLessThan(Date.parse('2026-11-28T23:59:05.000Z'));
    expect(localClock.state().now.startsWith('2026-11-28T23:59')).toBe(true);
  });

  it('leaves dates built from a value, parsing and instanceof alone', () => {
    const older = new Date(0);
    installLocalClock();
    localClock.advance(7 * day);
    expect(new Date(0).getTime()).toBe(0);
    expect(new Date('2026-01-01T00:00:00Z').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(Date.UTC(2026, 0, 1)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(older instanceof Date).toBe(true);
    expect(new Date() instanceof Date).toBe(true);
  });

  it('is the real clock again once reset or uninstalled', () => {
    installLocalClock();
    localClock.advance(day);
    expect(localClock.reset().offsetMs).toBe(0);
    expect(Math.abs(Date.now() - performance.timeOrigin - performance.now())).toBeLessThan(60_000);
    uninstallLocalClock();
    expect(
      Math.abs(Date.parse(new Date().toISOString()) - performance.timeOrigin - performance.now()),
    ).toBeLessThan(60_000);
  });
});
