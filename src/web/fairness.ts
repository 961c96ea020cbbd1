// One busy blog must not queue everyone else's requests behind its own. Every request runs on one
// event loop, and Bun reads all ready sockets in one turn, so 50 connections hammering one blog
// put ~50 answers ahead of a reader of another blog. While more than one blog is being asked, a
// blog may be answered only a few times per turn; its other requests wait in a queue that is
// worked off in small slices between turns, so a request for any other blog waits at most one
// slice. With a single blog in use nothing is deferred, and that blog runs at full speed.
import type { TenantName } from "../tenants/names.ts";

/** Answers per blog per turn before its requests are deferred. */
const DIRECT_PER_TURN = 2;
/** Deferred answers per slice; I/O is read between slices. */
const SLICE = 4;
/** Another blog asked within this long: blogs are competing. */
const COMPETITION_MS = 100;

export class FairScheduler {
  private counts = new Map<TenantName, number>();
  private turnScheduled = false;
  private readonly queue: (() => void)[] = [];
  private draining = false;
  private lastBlog: TenantName | undefined;
  private lastSwitch = -Infinity;
  deferred = 0;

  /** Runs `answer` now, or later when `blog` has had its share of this turn while others compete. */
  run<T>(blog: TenantName, now: number, answer: () => T): T | Promise<T> {
    if (blog !== this.lastBlog) {
      // The first blog ever asked is not a competitor of anyone.
      if (this.lastBlog !== undefined) this.lastSwitch = now;
      this.lastBlog = blog;
    }
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(() => {
        this.counts.clear();
        this.turnScheduled = false;
      });
    }
    const count = (this.counts.get(blog) ?? 0) + 1;
    this.counts.set(blog, count);
    if (count <= DIRECT_PER_TURN || now - this.lastSwitch > COMPETITION_MS) return answer();
    this.deferred++;
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(answer());
        } catch (e) {
          reject(e);
        }
      });
      this.drainSoon();
    });
  }

  private drainSoon(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    for (let i = 0; i < SLICE && this.queue.length; i++) this.queue.shift()!();
    this.draining = false;
    if (this.queue.length) this.drainSoon();
  }
}
