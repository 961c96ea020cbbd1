// Sign-in flood control: failed attempts per client and blog in a fixed window. The check comes
// before the password hash, so a flood costs a map lookup, not ~140 ms of argon2id each.

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export class LoginThrottle {
  private readonly failures = new Map<string, { start: number; count: number }>();

  constructor(readonly maxFailures = MAX_FAILURES, readonly windowMs = FAILURE_WINDOW_MS, private readonly maxKeys = 100_000) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, now: number): number {
    const w = this.failures.get(key);
    if (!w) return 0;
    if (now - w.start >= this.windowMs) {
      this.failures.delete(key);
      return 0;
    }
    return w.count >= this.maxFailures ? Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) : 0;
  }

  fail(key: string, now: number): void {
    let w = this.failures.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (!w && this.failures.size >= this.maxKeys) this.sweep(now);
      w = { start: now, count: 0 };
      this.failures.set(key, w);
    }
    w.count++;
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, w] of this.failures) if (now - w.start >= this.windowMs) this.failures.delete(key);
    if (this.failures.size >= this.maxKeys) {
      // Still full of live windows: drop the oldest half rather than grow without bound.
      let n = this.failures.size / 2;
      for (const key of this.failures.keys()) {
        if (n-- <= 0) break;
        this.failures.delete(key);
      }
    }
  }
}
