// A fixed-window counter per key (client and blog), in memory: it keeps scripted comment spam out
// and stops sign-in floods before any password hash runs. It forgets quiet keys so it cannot grow
// without bound.
export interface Verdict {
  allowed: boolean;
  /** Seconds until the key may try again (when not allowed). */
  retryAfter: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one attempt for `key` at `now` (epoch ms) and says whether it is allowed. */
  hit(key: string, now: number): Verdict {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (!w && this.windows.size >= this.maxKeys) this.sweep(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count <= this.limit) return { allowed: true, retryAfter: 0 };
    return { allowed: false, retryAfter: Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) };
  }

  /** Seconds until `key` may act again, or 0 when it may act now; counts nothing. */
  retryAfter(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) return 0;
    return w.count >= this.limit ? Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) : 0;
  }

  /** Starts `key` over (a successful sign-in clears its failures). */
  forget(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
    // Still full of live windows: drop the oldest half rather than grow.
    if (this.windows.size >= this.maxKeys) {
      let n = this.windows.size / 2;
      for (const key of this.windows.keys()) {
        if (n-- <= 0) break;
        this.windows.delete(key);
      }
    }
  }
}
