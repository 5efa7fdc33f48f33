export interface Fault {
  /** `error`: answer 500 with Stripe's `api_error` body; `refuse`: destroy the socket unanswered. */
  readonly mode: 'error' | 'refuse';
  readonly count: number;
  /**
   * Only requests whose raw body contains this text fail (e.g. `metadata[storeId]=str_…`), so
   * that tests running side by side against one simulator do not take each other's faults.
   */
  readonly bodyIncludes?: string;
}

/**
 * Faults injected by tests and operators: the next `count` API requests (that `bodyIncludes`
 * targets) fail. A new injection replaces the previous one (`count: 0` clears it).
 */
export class FaultInjector {
  private mode: Fault['mode'] = 'error';
  private remaining = 0;
  private bodyIncludes: string | undefined;

  inject(fault: Fault): void {
    if (!Number.isInteger(fault.count) || fault.count < 0) {
      throw new RangeError(`fault count must be a non-negative integer, got ${fault.count}`);
    }
    this.mode = fault.mode;
    this.remaining = fault.count;
    this.bodyIncludes = fault.bodyIncludes;
  }

  /** Consumes one fault of `mode` if one is pending and the request is one it targets. */
  take(mode: Fault['mode'], rawBody: string): boolean {
    if (this.remaining === 0 || this.mode !== mode) return false;
    if (this.bodyIncludes !== undefined && !rawBody.includes(this.bodyIncludes)) return false;
    this.remaining -= 1;
    return true;
  }
}
