// The reader mix: many pages of many blogs, as readers ask for them, through a server's life
// (a fresh start, a steady state, a shutdown, a restart). See mixload.ts for the law of requests
// and mixblog.ts for the blog. One round:
//   1. mix:one     the same mix on ONE blog: a fresh server, a short warm-up, then measured
//   2. mix:cold    N blogs (round 1: freshly copied, never opened; later rounds reuse them), `sync`
//                  first and nothing dropped, then the first seconds after a fresh server start
//   3.             the same server carries on until it has had 30 s of the mix
//   4. mix:steady  measured for 20 s
//   5. mix:stop    SIGTERM at once: seconds until exit; then every written blog file is read to
//                  compare SUM(posts.views) with the post pages wrk got 200 for
//   6. mix:restart a new server on the same directory, its first seconds
//   7. mix:floor   bench/floor.ts: a sample of the steady window's misses, rendered bare
// Each window reads /metrics and /proc before and after it: page-cache hit rate, pool miss rate,
// CPU of the main (JavaScript) thread and of the whole process. wrk continues the sequence where
// the last run stopped, so no window replays another.
import { Database } from "bun:sqlite";
import { spawnSync } from "bun";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSegment } from "../src/server/journal.ts";
import { tenantPath } from "../src/tenants/names.ts";
import type { BenchContext } from "./context.ts";
import { measureFloor, sampleOf, simulateMisses, type FloorMiss, type FloorResult } from "./floor.ts";
import { formatStatuses, runLoad, type LoadResult } from "./http.ts";
import type { MixFixture } from "./mixblog.ts";
import { mixLua, mixSequence, writeMixFiles, type MixFiles, type MixSequence } from "./mixload.ts";
import {
  cpuOf,
  scrapeMetrics,
  startServer,
  writekitServe,
  type CpuTimes,
  type Memory,
  type RunningServer,
} from "./server.ts";
import { median } from "./stats.ts";
import type { Row } from "./table.ts";

const CONNECTIONS = 32;

/** Seconds of each phase; --quick shortens them for a smoke run. */
const FULL = {
  oneWarm: 2,
  one: 10,
  cold: 10,
  before: 30,
  steady: 20,
  restart: 10,
  sequence: 2_000_000,
  floorSample: 2000,
  floorWarmup: 200,
};
const QUICK = {
  oneWarm: 1,
  one: 3,
  cold: 4,
  before: 8,
  steady: 5,
  restart: 4,
  sequence: 300_000,
  floorSample: 300,
  floorWarmup: 50,
};

const MB = 2 ** 20;

interface Window {
  load: LoadResult;
  pageHits: number;
  /** Pages answered from the page store on disk. */
  storeHits: number;
  pageMisses: number;
  /** Renders of blogs that were not open, each on a connection of its own. */
  briefReads: number;
  poolHits: number;
  poolMisses: number;
  /** Page-cache entries at the end of the window (gauge). */
  pageEntries: number;
  mainCpuMs: number;
  /** Of mainCpuMs, the kernel's time: mostly reading blog files not in the page cache. */
  mainSystemMs: number;
  processCpuMs: number;
  /** The busiest threads over the window: name (tid), CPU ms. */
  threads: { name: string; tid: number; ms: number }[];
}

interface Round {
  one: Window;
  cold: Window;
  steady: Window;
  restart: Window;
  memory: Memory | null;
  restartMemory: Memory | null;
  stopSeconds: number;
  stopKilled: boolean;
  restartStopSeconds: number;
  views: { inFiles: number; answered200: number; sent: number; blogsRead: number; readSeconds: number };
  floor: FloorResult;
  simulatedHitRate: number;
  /** Sequence entries used by the many-blog runs so far, and by the one-blog runs. */
  used: number;
  usedOne: number;
  stopLog: string;
}

const delta = (after: Map<string, number>, before: Map<string, number>, name: string) =>
  (after.get(name) ?? NaN) - (before.get(name) ?? NaN);

function threadDeltas(pid: number, before: CpuTimes, after: CpuTimes): Window["threads"] {
  return [...after.threads]
    .map(([tid, t]) => ({
      name: tid === pid ? `${t.name} (main, tid = pid)` : t.name,
      tid,
      ms: t.ms - (before.threads.get(tid)?.ms ?? 0),
    }))
    .filter((t) => t.ms > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 4);
}

/** Runs `load` against `server`, with /metrics and /proc read on both sides (the scrapes outside the CPU readings). */
async function measureWindow(server: RunningServer, load: () => Promise<LoadResult>): Promise<Window> {
  const m0 = await scrapeMetrics(server.origin);
  const c0 = cpuOf(server.pid);
  const result = await load();
  const c1 = cpuOf(server.pid);
  const m1 = await scrapeMetrics(server.origin);
  if (!c0 || !c1) throw new Error(`cannot read /proc/${server.pid}: the server is gone`);
  return {
    load: result,
    pageHits: delta(m1, m0, "writekit_page_cache_hits_total"),
    storeHits: delta(m1, m0, "writekit_page_store_hits_total") || 0,
    pageMisses: delta(m1, m0, "writekit_page_cache_misses_total"),
    briefReads: delta(m1, m0, "writekit_blog_brief_reads_total") || 0,
    poolHits: delta(m1, m0, "writekit_pool_hits_total"),
    poolMisses: delta(m1, m0, "writekit_pool_misses_total"),
    pageEntries: m1.get("writekit_page_cache_entries") ?? NaN,
    mainCpuMs: c1.mainMs - c0.mainMs,
    mainSystemMs: c1.mainSystemMs - c0.mainSystemMs,
    processCpuMs: c1.processMs - c0.processMs,
    threads: threadDeltas(server.pid, c0, c1),
  };
}

/**
 * Every page view the server kept: SUM(posts.views) in the blog files, read with bun:sqlite after
 * the server stopped, plus the views still in its journal (DATA/views/, added to the blogs by the
 * next start) of segments a blog has not taken yet. A file whose mtime is still the one it got when
 * it was copied, and without a non-empty -wal, was never written: it holds the fixture's 0 views
 * and is not opened (opening every one of 10,000 2 MB files would read gigabytes for nothing).
 */
function sumViews(fixture: MixFixture): { views: number; blogsRead: number; journaled: number } {
  const journalDir = join(fixture.dataDir, "views");
  const journalId = existsSync(join(journalDir, "journal-id"))
    ? readFileSync(join(journalDir, "journal-id"), "utf8").trim()
    : "";
  const pending = new Map<string, { segment: number; count: number }[]>();
  if (existsSync(journalDir)) {
    for (const file of readdirSync(journalDir)) {
      const m = /^(\d+)\.log$/.exec(file);
      if (!m) continue;
      for (const [blog, , , count] of parseSegment(readFileSync(join(journalDir, file), "utf8")).rows) {
        const list = pending.get(blog) ?? [];
        list.push({ segment: Number(m[1]), count });
        pending.set(blog, list);
      }
    }
  }
  let views = 0;
  let journaled = 0;
  let blogsRead = 0;
  for (const name of fixture.names) {
    const path = tenantPath(fixture.dataDir, name);
    const wal = path + "-wal";
    const inJournal = pending.get(name) ?? [];
    const unchanged =
      statSync(path).mtimeMs === fixture.copiedMtimes.get(name) && !(existsSync(wal) && statSync(wal).size > 0);
    let taken = 0;
    if (!unchanged) {
      const db = new Database(path, { readonly: true });
      try {
        views += (db.query("SELECT coalesce(sum(views), 0) AS n FROM posts").get() as { n: number }).n;
        taken =
          (db.query("SELECT segment FROM views_applied WHERE journal = ?").get(journalId) as { segment: number } | null)
            ?.segment ?? 0;
        blogsRead++;
      } finally {
        db.close();
      }
    }
    for (const { segment, count } of inJournal) if (segment > taken) journaled += count;
  }
  return { views: views + journaled, blogsRead, journaled };
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "n/a");
const ms = (v: number, digits = 2) => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : "n/a");
/** Answered from a stored page, in memory or on disk. */
const hitRate = (w: Window) => (w.pageHits + w.storeHits) / (w.pageHits + w.storeHits + w.pageMisses);
const memoryRate = (w: Window) => w.pageHits / (w.pageHits + w.storeHits + w.pageMisses);
const storeRate = (w: Window) => w.storeHits / (w.pageHits + w.storeHits + w.pageMisses);
const poolMissRate = (w: Window) => (w.poolHits + w.poolMisses > 0 ? w.poolMisses / (w.poolHits + w.poolMisses) : 0);
/** Too few misses make CPU per miss meaningless (/proc counts in 10 ms ticks; the window's other work dominates). */
const MIN_MISSES = 100;
const mainPerMiss = (w: Window) => (w.pageMisses >= MIN_MISSES ? w.mainCpuMs / w.pageMisses : NaN);

function windowNote(list: Window[]): string {
  const seconds = median(list.map((w) => w.load.seconds));
  const threads = list[list.length - 1].threads.map((t) => `${t.name} ${(t.ms / 1000).toFixed(1)} s`).join(", ");
  return [
    `page cache hit rate ${pct(median(list.map(hitRate)))} (memory ${pct(median(list.map(memoryRate)))}, disk ${pct(median(list.map(storeRate)))})`,
    `pool miss rate ${pct(median(list.map(poolMissRate)))}, ${Math.round(median(list.map((w) => w.briefReads)))} brief reads`,
    `main thread ${Number.isFinite(median(list.map(mainPerMiss))) ? `${ms(median(list.map(mainPerMiss)))} CPU per page-cache miss` : `n/a per miss (fewer than ${MIN_MISSES} misses)`} (${pct(median(list.map((w) => w.mainCpuMs / 1000 / w.load.seconds)))} of a core)`,
    `whole process ${pct(median(list.map((w) => w.processCpuMs / 1000 / w.load.seconds)))} of a core`,
    `${Math.round(median(list.map((w) => w.pageMisses)))} misses in ${seconds.toFixed(1)} s`,
    `busiest threads (last run): ${threads}`,
  ].join("; ");
}

function sumStatuses(results: LoadResult[]): string {
  const all: Record<string, number> = {};
  for (const r of results) for (const [s, n] of Object.entries(r.statuses)) all[s] = (all[s] ?? 0) + n;
  const socket = results.reduce(
    (k, r) => ({
      connect: k.connect + r.socket.connect,
      read: k.read + r.socket.read,
      write: k.write + r.socket.write,
      timeout: k.timeout + r.socket.timeout,
    }),
    { connect: 0, read: 0, write: 0, timeout: 0 },
  );
  const errors = Object.entries(socket)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} errors ${n}`);
  return [formatStatuses(all), ...errors].join(" ");
}

function loadRow(id: string, title: string, list: Window[], extra: Partial<Row> = {}): Row {
  const loads = list.map((w) => w.load);
  return {
    id,
    title,
    reqPerSec: median(loads.map((l) => l.reqPerSec)),
    p50Ms: median(loads.map((l) => l.p50Ms)),
    p99Ms: median(loads.map((l) => l.p99Ms)),
    errors: loads.reduce((k, l) => k + l.errors, 0),
    statuses: sumStatuses(loads),
    runs: list.length,
    note: windowNote(list),
    samples: list,
    ...extra,
  };
}

export async function measureMix(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  const ids = ["mix:one", "mix:cold", "mix:steady", "mix:restart", "mix:miss-cost", "mix:floor", "mix:rss", "mix:stop"];
  if (!ids.some(only)) return [];
  const phase = ctx.quick ? QUICK : FULL;
  const single = ctx.mixOne();
  const fixture = ctx.mix();
  const n = fixture.names.length;
  const count = n.toLocaleString("en-US");
  const sequence: MixSequence = mixSequence(fixture, n, phase.sequence);
  const files: MixFiles = writeMixFiles(
    ctx.workDir,
    fixture.names.map((name) => `${name}.localhost`),
    sequence,
  );
  const oneHostFile = join(ctx.workDir, "mix-one-host.txt");
  writeFileSync(oneHostFile, `${single.names[0]}.localhost\n`);
  const oneFiles: MixFiles = { ...files, hostsFile: oneHostFile };

  /** One wrk run of the mix starting after entry `start`. */
  const mix = (server: RunningServer, f: MixFiles, start: number, seconds: number, oneHost = false) =>
    runLoad({
      origin: server.origin,
      path: "/",
      seconds,
      connections: CONNECTIONS,
      workDir: ctx.workDir,
      ...mixLua(f, start, oneHost),
    });
  const serve = (dataDir: string, log: string) =>
    startServer({ argv: writekitServe(dataDir), logFile: join(ctx.workDir, log), timeoutMs: 60_000 });

  let used = 0; // entries of the sequence the many-blog runs have used, over every round
  let answered200 = 0; // post pages answered 200 on the many-blog directory since it was copied
  let sentPosts = 0;
  const rounds: Round[] = [];
  for (let round = 0; round < ctx.runs; round++) {
    const tag = `round ${round + 1}/${ctx.runs}`;
    // 1. One blog.
    ctx.progress(`${tag}: mix on ONE blog: fresh server, ${phase.oneWarm}s warm-up, then ${phase.one}s`);
    let usedOne = 0;
    let server = await serve(single.dataDir, "serve-mix-one.log");
    let one: Window;
    try {
      usedOne += (await mix(server, oneFiles, usedOne, phase.oneWarm, true)).counters.sent;
      one = await measureWindow(server, () => mix(server, oneFiles, usedOne, phase.one, true));
      usedOne += one.load.counters.sent;
    } finally {
      await server.stop();
    }

    // 2–4. Many blogs: cold, carry on, steady.
    const count200 = (r: LoadResult) => {
      used += r.counters.sent;
      answered200 += r.counters.posts200;
      sentPosts += r.counters.sentPosts;
      return r;
    };
    spawnSync(["sync"]);
    ctx.progress(
      `${tag}: mix over ${count} blogs (${round === 0 ? "freshly copied" : "reused"}): fresh server, first ${phase.cold}s`,
    );
    server = await serve(fixture.dataDir, "serve-mix.log");
    const coldFrom = used;
    let cold: Window,
      steady: Window,
      memory: Memory | null,
      stopSeconds: number,
      stopKilled: boolean,
      steadyFrom: number,
      steadyTo: number;
    try {
      cold = await measureWindow(server, async () => count200(await mix(server, files, used, phase.cold)));
      ctx.progress(
        `${tag}: ${Math.round(cold.load.reqPerSec)} req/s cold; the same server until ${phase.before}s of the mix, then ${phase.steady}s steady`,
      );
      count200(await mix(server, files, used, phase.before - phase.cold));
      steadyFrom = used;
      steady = await measureWindow(server, async () => count200(await mix(server, files, used, phase.steady)));
      steadyTo = used;
      memory = server.memory();
    } catch (e) {
      await server.stop();
      throw e;
    }
    // 5. Stop at once.
    const t = performance.now();
    const code = await server.stop(60_000);
    stopSeconds = (performance.now() - t) / 1000;
    stopKilled = code === null;
    const stopLog = (await Bun.file(server.logFile).text())
      .split("\n")
      .filter((l) => /stopped|shutting down|still in flight/.test(l))
      .slice(-2)
      .join(" | ");
    ctx.progress(
      `${tag}: ${Math.round(steady.load.reqPerSec)} req/s steady; SIGTERM took ${stopSeconds.toFixed(1)} s${stopKilled ? " (killed)" : ""}; reading views from the blog files`,
    );
    const r0 = performance.now();
    const { views, blogsRead } = sumViews(fixture);
    const readSeconds = (performance.now() - r0) / 1000;

    // 6. Restart on the same directory.
    ctx.progress(`${tag}: restart on the same directory, first ${phase.restart}s`);
    server = await serve(fixture.dataDir, "serve-mix-restart.log");
    let restart: Window, restartMemory: Memory | null;
    try {
      restart = await measureWindow(server, async () => count200(await mix(server, files, used, phase.restart)));
      restartMemory = server.memory();
    } catch (e) {
      await server.stop();
      throw e;
    }
    const t1 = performance.now();
    await server.stop(60_000);
    const restartStopSeconds = (performance.now() - t1) / 1000;

    // 7. The floor, with no server running.
    const capacity = Number.isFinite(steady.pageEntries) ? steady.pageEntries : 0;
    const simulated = simulateMisses(sequence.entries, coldFrom, coldFrom, steadyTo, capacity);
    const within = simulated.misses.filter((i) => i >= steadyFrom);
    const toMiss = (i: number): FloorMiss => {
      const v = sequence.entries[i % sequence.entries.length];
      return { name: fixture.names[Math.floor(v / 256)], page: sequence.pages[v % 256] };
    };
    const before = simulated.misses.filter((i) => i < steadyFrom);
    ctx.progress(
      `${tag}: floor: ${Math.min(within.length, phase.floorSample)} of the steady window's ${within.length} (simulated) misses, rendered bare on core 0`,
    );
    const floor = await measureFloor(
      ctx.workDir,
      fixture.dataDir,
      sampleOf(before, phase.floorWarmup, 5 + round).map(toMiss),
      sampleOf(within, phase.floorSample, 7 + round).map(toMiss),
    );

    rounds.push({
      one,
      cold,
      steady,
      restart,
      memory,
      restartMemory,
      stopSeconds,
      stopKilled,
      restartStopSeconds,
      stopLog,
      views: {
        inFiles: views,
        answered200: answered200 - restart.load.counters.posts200,
        sent: sentPosts - restart.load.counters.sentPosts,
        blogsRead,
        readSeconds,
      },
      floor,
      simulatedHitRate: 1 - within.length / (steadyTo - steadyFrom),
      used,
      usedOne,
    });
  }

  // Rows.
  const ratios = (pick: (r: Round) => Window) =>
    median(rounds.map((r) => pick(r).load.reqPerSec / r.one.load.reqPerSec));
  const rows: Row[] = [];
  const cold = ratios((r) => r.cold);
  const steady = ratios((r) => r.steady);
  const restart = ratios((r) => r.restart);
  const steadyP99 = median(rounds.map((r) => r.steady.load.p99Ms));
  const steadyErrors = rounds.reduce((k, r) => k + r.steady.load.errors, 0);
  const wraps = median(rounds.map((r) => r.used)) / phase.sequence;
  rows.push(
    loadRow(
      "mix:one",
      `reader mix on ONE blog (baseline), wrk -c${CONNECTIONS}`,
      rounds.map((r) => r.one),
      {
        note: `${windowNote(rounds.map((r) => r.one))}; after a ${phase.oneWarm} s warm-up on a fresh server; used ${Math.round(median(rounds.map((r) => r.usedOne))).toLocaleString("en-US")} entries of a ${phase.sequence.toLocaleString("en-US")}-entry sequence`,
      },
    ),
  );
  rows.push(
    loadRow(
      "mix:cold",
      `reader mix, ${count} blogs, first ${phase.cold} s after a fresh start`,
      rounds.map((r) => r.cold),
      {
        ratio: cold,
        ratioTo: "of one blog",
        goal: "≥ 0.1 of one blog",
        met: cold >= 0.1,
        note: `${windowNote(rounds.map((r) => r.cold))}; round 1 on freshly copied blogs (never opened), later rounds reuse them; \`sync\` before the start, no cache dropped`,
      },
    ),
  );
  rows.push(
    loadRow(
      "mix:steady",
      `reader mix, ${count} blogs, steady (after ${phase.before} s), ${phase.steady} s`,
      rounds.map((r) => r.steady),
      {
        ratio: steady,
        ratioTo: "of one blog",
        goal: "≥ 0.25 of one blog, p99 ≤ 20 ms, 0 errors",
        met: steady >= 0.25 && steadyP99 <= 20 && steadyErrors === 0,
        note: `${windowNote(rounds.map((r) => r.steady))}; the many-blog runs used ${Math.round(median(rounds.map((r) => r.used))).toLocaleString("en-US")} entries of a ${phase.sequence.toLocaleString("en-US")}-entry sequence (${wraps < 1 ? "no wrap" : `wrapped ${Math.floor(wraps)}×`})`,
      },
    ),
  );
  rows.push(
    loadRow(
      "mix:restart",
      `reader mix, ${count} blogs, first ${phase.restart} s after a restart (same directory)`,
      rounds.map((r) => r.restart),
      {
        ratio: restart,
        ratioTo: "of one blog",
        note: `${windowNote(rounds.map((r) => r.restart))}; its own SIGTERM took ${median(rounds.map((r) => r.restartStopSeconds)).toFixed(1)} s; its peak RSS ${Math.round(median(rounds.map((r) => (r.restartMemory?.peakBytes ?? NaN) / MB)))} MB`,
      },
    ),
  );
  const floorMean = median(rounds.map((r) => r.floor.meanMs));
  const missCost = median(rounds.map((r) => mainPerMiss(r.steady) / r.floor.meanMs));
  // The server's side is CPU time; the floor's mean is wall time, which grows when the floor waits
  // for a core another process holds (or for the disk). Met only when both readings agree.
  const missCostCpu = median(rounds.map((r) => mainPerMiss(r.steady) / r.floor.cpuMeanMs));
  const floorWaited = median(rounds.map((r) => r.floor.meanMs / r.floor.cpuMeanMs));
  const fromDiskCpu = median(rounds.map((r) => r.floor.fromDisk?.cpuMeanMs ?? NaN));
  rows.push({
    id: "mix:miss-cost",
    title: "reader mix: main-thread CPU per page-cache miss ÷ floor",
    value: `${ms(median(rounds.map((r) => mainPerMiss(r.steady))))} / ${ms(floorMean)}`,
    ratio: missCost,
    ratioTo: "of floor",
    goal: "≤ 1.3 of floor",
    met: missCost <= 1.3 && missCostCpu <= 1.3,
    runs: rounds.length,
    note: `steady window: main thread (tid = pid) CPU from /proc/PID/task/PID/stat over writekit_page_cache_misses_total, against the floor's mean wall time per miss; against the floor's CPU time instead: ${missCostCpu.toFixed(2)}${fromDiskCpu ? `; against the floor's CPU time with each blog's files dropped from the kernel's cache first (every page read from the disk, as for a blog not read for a while): ${median(rounds.map((r) => mainPerMiss(r.steady) / (r.floor.fromDisk?.cpuMeanMs ?? NaN))).toFixed(2)} (${ms(fromDiskCpu)} CPU per miss)` : ""}${floorWaited > 1.2 ? ` (the floor's wall time was ${floorWaited.toFixed(1)}× its CPU time: it waited for the core or the disk, so the wall-time ratio flatters the server)` : ""}; of the server's CPU per miss, ${ms(median(rounds.map((r) => r.steady.mainSystemMs / r.steady.pageMisses)))} was the kernel's (system time: the floor's was ${ms(median(rounds.map((r) => r.floor.systemMeanMs)))} as found and ${ms(median(rounds.map((r) => r.floor.fromDisk?.systemMeanMs ?? NaN)))} from the disk); whole process ${ms(median(rounds.map((r) => r.steady.processCpuMs / r.steady.pageMisses)))} CPU per miss (the other threads: JIT, the view flusher's Worker, the file watcher, GC helpers)`,
    samples: rounds.map((r) => ({
      mainCpuMs: r.steady.mainCpuMs,
      mainSystemMs: r.steady.mainSystemMs,
      processCpuMs: r.steady.processCpuMs,
      pageMisses: r.steady.pageMisses,
      threads: r.steady.threads,
    })),
  });
  const byKind = rounds[rounds.length - 1].floor.byKind;
  rows.push({
    id: "mix:floor",
    title: "reader mix: floor of a miss (open, queries, render, close; no HTTP)",
    p50Ms: median(rounds.map((r) => r.floor.p50Ms)),
    p99Ms: median(rounds.map((r) => r.floor.p99Ms)),
    value: `mean ${ms(floorMean, 3)}`,
    runs: rounds.length,
    note: `${Math.round(median(rounds.map((r) => r.floor.count)))} of the steady window's misses (an LRU of the server's page-cache entry count replayed over the sequence: simulated hit rate ${pct(median(rounds.map((r) => r.simulatedHitRate)))} vs ${pct(median(rounds.map((r) => hitRate(r.steady))))} measured), one process pinned to core 0; CPU ${ms(median(rounds.map((r) => r.floor.cpuMeanMs)), 3)} per miss; mean by page (last run): ${Object.entries(
      byKind,
    )
      .map(([k, v]) => `${k} ${v.meanMs.toFixed(2)} ms ×${v.count}`)
      .join(
        ", ",
      )}; ${Math.round(median(rounds.map((r) => r.floor.meanBytes))).toLocaleString("en-US")} B per page; the same misses with each blog's files dropped from the kernel's cache first: ${
      fromDiskCpu
        ? `mean ${ms(median(rounds.map((r) => r.floor.fromDisk!.meanMs)), 3)} (p99 ${ms(median(rounds.map((r) => r.floor.fromDisk!.p99Ms)))}), CPU ${ms(fromDiskCpu, 3)} of which system ${ms(median(rounds.map((r) => r.floor.fromDisk!.systemMeanMs)), 3)}; by page ${Object.entries(
            rounds[rounds.length - 1].floor.fromDisk!.byKind,
          )
            .map(([k, v]) => `${k} ${v.meanMs.toFixed(2)} ms`)
            .join(", ")}`
        : "not measured (no posix_fadvise here)"
    }`,
    samples: rounds.map((r) => r.floor),
  });
  const peak = median(rounds.map((r) => (r.memory?.peakBytes ?? NaN) / MB));
  rows.push({
    id: "mix:rss",
    title: `reader mix, ${count} blogs: peak RSS of the server (cold + ${phase.before - phase.cold} s + steady)`,
    value: `${Math.round(peak)} MB`,
    goal: "≤ 250 MB",
    met: peak <= 250,
    runs: rounds.length,
    note: `VmHWM from /proc/PID/status right before the SIGTERM`,
    samples: rounds.map((r) => r.memory),
  });
  const stop = median(rounds.map((r) => r.stopSeconds));
  const last = rounds[rounds.length - 1].views;
  const lost = Math.max(0, last.answered200 - last.inFiles);
  const extra = Math.max(0, last.inFiles - last.sent);
  const killed = rounds.some((r) => r.stopKilled);
  rows.push({
    id: "mix:stop",
    title: "reader mix: SIGTERM right after the steady window, seconds to exit; views lost",
    value: `${stop.toFixed(1)} s, ${lost.toLocaleString("en-US")} views lost`,
    goal: "≤ 5 s, no view lost",
    met: stop <= 5 && !killed && lost === 0 && extra === 0,
    runs: rounds.length,
    note: `after the stop SUM(posts.views) = ${last.inFiles.toLocaleString("en-US")} over ${last.blogsRead.toLocaleString("en-US")} written blog files (read in ${last.readSeconds.toFixed(1)} s; unwritten ones hold 0); wrk got 200 for ${last.answered200.toLocaleString("en-US")} post pages and sent ${last.sent.toLocaleString("en-US")} (the ${(last.sent - last.answered200).toLocaleString("en-US")} more were in flight when a wrk run ended: the server may have answered, and counted, them); so ${lost ? `${lost.toLocaleString("en-US")} views lost` : "no view lost"}${extra ? `, ${extra.toLocaleString("en-US")} more views than post pages sent` : ""}${killed ? "; the server had to be killed after 60 s" : ""}; server log: ${rounds[rounds.length - 1].stopLog || "(no stop line)"}`,
    samples: rounds.map((r) => ({ stopSeconds: r.stopSeconds, killed: r.stopKilled, views: r.views })),
  });
  return rows.filter((r) => only(r.id));
}
