// A young-generation collection every 100 ms while requests are being answered. Most of what an
// answer allocates is native memory behind small JavaScript objects (the Request and its headers,
// the Response and its headers), and JavaScriptCore paces its collections by its own heap, so
// under load it lets finished answers pile up (docs/BENCHMARKS.md: the peak RSS it saves). An idle
// server collects nothing.

/** How often answered requests' garbage is collected. */
export const YOUNG_GC_INTERVAL_MS = 100;

/** A tick that collects the young generation when requests were answered since the last tick. */
export function answerGarbageCollector(answered: () => number, collect: (full: boolean) => void = Bun.gc): () => void {
  let seen = answered();
  return () => {
    const now = answered();
    if (now === seen) return;
    seen = now;
    collect(false);
  };
}
