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

export interface GarbageCollectorOptions {
  /** Requests answered so far. */
  answered: () => number;
  /** Bytes of page bodies the page cache has let go of so far (evicted, dropped or replaced). */
  released?: () => number;
  /** A full collection once this many more bytes were let go of since the last one. */
  fullEveryBytes?: number;
  collect?: (full: boolean) => void;
}

/** A tick that collects what answering requests left behind (see above). */
export function answerGarbageCollector(options: GarbageCollectorOptions): () => void {
  const { answered, released = () => 0, fullEveryBytes = Infinity, collect = Bun.gc } = options;
  let seen = answered();
  let releasedAtFull = released();
  return () => {
    const now = answered();
    if (released() - releasedAtFull >= fullEveryBytes) {
      releasedAtFull = released();
      seen = now;
      collect(true);
      return;
    }
    if (now === seen) return;
    seen = now;
    collect(false);
  };
}
