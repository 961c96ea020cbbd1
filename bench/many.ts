// Many blogs on one server: every request asks for the same post page, on a Host drawn from a
// Zipf(1.0) law over all blogs (a few popular blogs, a long tail) or uniformly (nearly every request
// for a blog not used recently). The Host sequence is precomputed (seeded, so every run is the same)
// and wrk's Lua script walks it. Each round starts a fresh server, visits every blog once (the
// steady state of a server that has run a while), measures the post page on one
// Host as the baseline, then the spread load, so the ratio compares like with like.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { formatStatuses, runLoad, type LoadResult } from "./http.ts";
import { scrapeMetrics, startServer, writekitServe, type Memory } from "./server.ts";
import { median, seededRandom, shuffle, uniformSequence, zipfSequence } from "./stats.ts";
import type { Row } from "./table.ts";
import { visitEveryBlog } from "./visit.ts";

/** Long enough that wrk rarely wraps around within a run. */
const SEQUENCE_LENGTH = 500_000;

interface Law {
  id: "zipf" | "uniform";
  title: string;
  sequence: (n: number) => Uint32Array;
  goal: number;
}

const LAWS: Law[] = [
  {
    id: "zipf",
    title: "Zipf(1.0)",
    // Rank k is a random blog, not blog k, so popularity is not tied to file order.
    sequence: (n) => zipfSequence(n, 1.0, SEQUENCE_LENGTH, seededRandom(7)),
    goal: 0.5,
  },
  {
    id: "uniform",
    title: "uniform",
    sequence: (n) => uniformSequence(n, SEQUENCE_LENGTH, seededRandom(11)),
    goal: 0.25,
  },
];

interface Sample {
  load: LoadResult;
  baseline: LoadResult;
  memory: Memory | null;
  /** Over the measured window, from /metrics when the server has it. */
  poolMissRate?: number;
  pageCacheHitRate?: number;
  pagesInvalidated?: number;
}

const delta = (after: Map<string, number>, before: Map<string, number>, name: string) =>
  (after.get(name) ?? NaN) - (before.get(name) ?? NaN);

export async function measureMany(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  const laws = LAWS.filter((l) => only(`many:${l.id}`) || only("many:baseline"));
  if (!laws.length) return [];
  const fixture = ctx.many();
  const n = fixture.names.length;
  const path = `/${fixture.postSlug}`;
  const hostsFile = join(ctx.workDir, "hosts.txt");
  writeFileSync(hostsFile, fixture.names.map((name) => `${name}.localhost`).join("\n") + "\n");
  const byRank = shuffle(
    fixture.names.map((_, i) => i + 1),
    seededRandom(3),
  ); // 1-based for Lua
  const sequenceFiles = new Map<string, string>();
  for (const law of laws) {
    const file = join(ctx.workDir, `sequence-${law.id}.txt`);
    writeFileSync(file, Array.from(law.sequence(n), (rank) => byRank[rank]).join("\n") + "\n");
    sequenceFiles.set(law.id, file);
  }
  const warmSeconds = Math.max(2, Math.round(ctx.seconds / 2));
  // A server that has run for a while has served every blog once: its pages are cached. Visit each
  // blog once before measuring, so the rows show that steady state and not the first visits
  // (which the rss row measures).
  const everyHost = fixture.names.map((name) => `${name}.localhost`);
  const samples = new Map<string, Sample[]>(laws.map((l) => [l.id, []]));
  for (let round = 0; round < ctx.runs; round++) {
    for (const law of laws) {
      ctx.progress(
        `round ${round + 1}/${ctx.runs}: ${n.toLocaleString("en-US")} blogs, ${law.title}: fresh server, one-Host baseline then ${law.title}, ${ctx.seconds * 2}s`,
      );
      const server = await startServer({
        argv: writekitServe(fixture.dataDir),
        logFile: join(ctx.workDir, `serve-many-${law.id}.log`),
        timeoutMs: 60_000,
      });
      try {
        const common = { origin: server.origin, path, workDir: ctx.workDir };
        await runLoad({ ...common, host: `${fixture.names[0]}.localhost`, seconds: 1 });
        const baseline = await runLoad({ ...common, host: `${fixture.names[0]}.localhost`, seconds: ctx.seconds });
        const visits = await visitEveryBlog(server.origin, everyHost, path);
        const unvisited =
          visits.failures +
          Object.entries(visits.statuses).reduce((k, [status, count]) => k + (status === "200" ? 0 : count), 0);
        if (unvisited)
          throw new Error(`visiting every blog before the ${law.title} run: ${unvisited} of ${n} did not answer 200`);
        const spread = { ...common, hostsFile, sequenceFile: sequenceFiles.get(law.id)! };
        await runLoad({ ...spread, seconds: warmSeconds });
        const before = await scrapeMetrics(server.origin);
        const load = await runLoad({ ...spread, seconds: ctx.seconds * 2 });
        const after = await scrapeMetrics(server.origin);
        const hits = delta(after, before, "writekit_pool_hits_total");
        const misses = delta(after, before, "writekit_pool_misses_total");
        const pageHits = delta(after, before, "writekit_page_cache_hits_total");
        const pageMisses = delta(after, before, "writekit_page_cache_misses_total");
        samples.get(law.id)!.push({
          load,
          baseline,
          memory: server.memory(),
          // No pool use at all (every answer from the page cache) is a miss rate of 0.
          poolMissRate: hits + misses > 0 ? misses / (hits + misses) : 0,
          pageCacheHitRate: pageHits / (pageHits + pageMisses),
          pagesInvalidated: pageMisses,
        });
      } finally {
        await server.stop();
      }
    }
  }

  const rows: Row[] = [];
  const all = [...samples.values()].flat();
  rows.push({
    id: "many:baseline",
    title: `${n.toLocaleString("en-US")}-blog server, post page, one Host (baseline of the best-case rows below)`,
    reqPerSec: median(all.map((s) => s.baseline.reqPerSec)),
    p50Ms: median(all.map((s) => s.baseline.p50Ms)),
    p99Ms: median(all.map((s) => s.baseline.p99Ms)),
    errors: all.reduce((k, s) => k + s.baseline.errors, 0),
    statuses: formatStatuses(
      Object.fromEntries(
        all
          .flatMap((s) => Object.entries(s.baseline.statuses))
          .reduce((m, [st, c]) => m.set(st, (m.get(st) ?? 0) + c), new Map<string, number>()),
      ),
    ),
    runs: all.length,
    samples: all.map((s) => s.baseline),
  });
  for (const law of laws) {
    const list = samples.get(law.id)!;
    const ratio = median(list.map((s) => s.load.reqPerSec / s.baseline.reqPerSec));
    const errors = list.reduce((k, s) => k + s.load.errors, 0);
    const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "n/a");
    rows.push({
      id: `many:${law.id}`,
      title: `${n.toLocaleString("en-US")} blogs, ${law.title} over Hosts, post page — best case: page cache only (every blog visited once, one page each)`,
      reqPerSec: median(list.map((s) => s.load.reqPerSec)),
      p50Ms: median(list.map((s) => s.load.p50Ms)),
      p99Ms: median(list.map((s) => s.load.p99Ms)),
      errors,
      statuses: formatStatuses(
        Object.fromEntries(
          list
            .flatMap((s) => Object.entries(s.load.statuses))
            .reduce((m, [st, c]) => m.set(st, (m.get(st) ?? 0) + c), new Map<string, number>()),
        ),
      ),
      value: `peak RSS ${Math.round(median(list.map((s) => (s.memory?.peakBytes ?? NaN) / 2 ** 20)))} MB`,
      ratio,
      ratioTo: "of one Host",
      goal: `≥ ${law.goal} of one Host, 0 errors; RSS ≤ 250 MB`,
      met:
        ratio >= law.goal && errors === 0 && median(list.map((s) => s.memory?.peakBytes ?? Infinity)) <= 250 * 2 ** 20,
      runs: list.length,
      note: `pool miss rate ${pct(median(list.map((s) => s.poolMissRate ?? NaN)))}, page cache hit rate ${pct(median(list.map((s) => s.pageCacheHitRate ?? NaN)))} (from /metrics over the measured window)`,
      samples: list,
    });
  }
  return rows;
}
