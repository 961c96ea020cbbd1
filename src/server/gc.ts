// Two kinds of collection, on a 100 ms tick. A young-generation collection whenever requests were
// answered since the last tick: most of what an answer allocates is native memory behind small
// JavaScript objects (the Request and its headers, the Response and its headers), and
// JavaScriptCore paces its collections by its own heap, so under load it lets finished answers
// pile up. And a full collection once the page cache has let go of enough page bodies: a body
// kept in memory for a while is old by then, so only a full collection frees it, and
// JavaScriptCore, counting these native bytes late, let ~100 MB of dropped pages wait
// (docs/BENCHMARKS.md: the peak RSS of the reader mix). An idle server collects nothing.

/** How often answered requests' garbage is collected. */
export const YOUNG_GC_INTERVAL_MS = 100;

/**
 * A full collection costs tens of milliseconds: at most one a second, whatever the churn (pages
 * answered from the page store on disk, each pushing another out of memory, can let go of 40 MB a
 * second; collecting for each 16 MB of it took a tenth of the core).
 */
export const FULL_GC_MIN_INTERVAL_MS = 1000;

/**
 * Bytes of page bodies let go of between two full collections: half the page cache's budget, and
 * never less than 16 MB, since a full collection costs tens of milliseconds whatever the budget (a
 * 1 MB cache would otherwise collect on every tick).
 */
export function fullCollectionEvery(pageCacheBytes: number): number {
  return Math.max(pageCacheBytes / 2, 16 * 1024 * 1024);
}

export interface GarbageCollectorOptions {
  /** Requests answered so far. */
  answered: () => number;
  /** Bytes of page bodies the page cache has let go of so far (evicted, dropped or replaced). */
  released?: () => number;
  /** A full collection once this many more bytes were let go of since the last one. */
  fullEveryBytes?: number;
  /** And never sooner than this after the last one (FULL_GC_MIN_INTERVAL_MS). */
  minFullIntervalMs?: number;
  collect?: (full: boolean) => void;
  now?: () => number;
}

/** A tick that collects what answering requests left behind (see above). */
export function answerGarbageCollector(options: GarbageCollectorOptions): () => void {
  const {
    answered,
    released = () => 0,
    fullEveryBytes = Infinity,
    minFullIntervalMs = FULL_GC_MIN_INTERVAL_MS,
    collect = Bun.gc,
    now: clock = () => performance.now(),
  } = options;
  let seen = answered();
  let releasedAtFull = released();
  let lastFull = -Infinity;
  return () => {
    const now = answered();
    if (released() - releasedAtFull >= fullEveryBytes && clock() - lastFull >= minFullIntervalMs) {
      releasedAtFull = released();
      lastFull = clock();
      seen = now;
      collect(true);
      return;
    }
    if (now === seen) return;
    seen = now;
    collect(false);
  };
}
