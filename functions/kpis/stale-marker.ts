/**
 * Stale markers (docs/kpis.md "Late facts and stale days"), apart from the jobs that handle them so
 * that their writers (every order write, a store's timezone change) carry only this.
 */

/** `STORE#<storeId>#STALE` / `<hour>`: a UTC hour whose local days must be rolled up again. */
export interface StaleMarker {
  /** `yyyy-mm-ddThh`, or `timezoneChangedHour`. */
  readonly hour: string;
  readonly markedAt: string;
}

/**
 * The marker a timezone change writes in the store's transaction: a day is the store-local date
 * in the store's current timezone (contract section 8), so every day the store keeps now holds
 * other hours. The store's next night rolls them all up again. It sorts before every hour (`#`
 * before digits), so a night's list of markers always holds it.
 */
export const timezoneChangedHour = '#TIMEZONE';
