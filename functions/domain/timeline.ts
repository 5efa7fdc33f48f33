/**
 * The order's timeline is partly DERIVED: the payment state machine and the shipping state machine
 * each compute their entries from facts that only accumulate, so that the timeline, like the rest
 * of the order, does not depend on the order in which events arrived. Entries that nothing derives
 * (`created`, `ship_late`, whatever else code records) are kept as they are.
 */
import type { TimelineEntry } from './order.ts';

/**
 * The timeline with `previous` derived entries replaced by `next`, sorted by time (then type and
 * detail, so that entries at the same instant have one order too).
 */
export function replaceDerivedEntries(
  timeline: readonly TimelineEntry[],
  previous: readonly TimelineEntry[],
  next: readonly TimelineEntry[],
): TimelineEntry[] {
  return [...withoutEntries(timeline, previous), ...next].sort(compareTimelineEntries);
}

export function compareTimelineEntries(a: TimelineEntry, b: TimelineEntry): number {
  return (
    compareStrings(canonicalTime(a.at), canonicalTime(b.at)) ||
    compareStrings(a.type, b.type) ||
    compareStrings(a.detail ?? '', b.detail ?? '')
  );
}

/** RFC 3339 in one canonical form (milliseconds, `Z`), so timestamps compare as strings. */
export function canonicalTime(timestamp: string): string {
  return new Date(timestamp).toISOString();
}

/** `timeline` less one occurrence of each entry of `entries` (the same entry may occur twice). */
function withoutEntries(
  timeline: readonly TimelineEntry[],
  entries: readonly TimelineEntry[],
): TimelineEntry[] {
  const pending = new Map<string, number>();
  for (const item of entries) {
    const key = entryKey(item);
    pending.set(key, (pending.get(key) ?? 0) + 1);
  }
  return timeline.filter((item) => {
    const key = entryKey(item);
    const count = pending.get(key) ?? 0;
    if (count === 0) return true;
    pending.set(key, count - 1);
    return false;
  });
}

const entryKey = (item: TimelineEntry) =>
  JSON.stringify([canonicalTime(item.at), item.type, item.detail ?? null]);

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
