// Visiting every blog once, as a server that has run a while has seen each of them: a first visit
// opens the blog (a pool miss, evicting another) and renders the page into the page cache. Done
// with a few requests in flight, not with wrk: wrk runs for a time, not for a count, and a first
// visit costs ~1.5 ms, so a fixed time would leave an unknown share of the blogs unvisited.
export interface Visits {
  seconds: number;
  statuses: Record<string, number>;
  /** Requests that got no answer at all (connection errors). */
  failures: number;
}

export async function visitEveryBlog(
  origin: string,
  hosts: readonly string[],
  path: string,
  concurrency = 8,
): Promise<Visits> {
  const statuses: Record<string, number> = {};
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < hosts.length) {
        const host = hosts[next++];
        try {
          const r = await fetch(origin + path, { headers: { host } });
          await r.arrayBuffer();
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        } catch {
          failures++;
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, statuses, failures };
}
