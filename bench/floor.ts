// The floor of a page-cache miss: what rendering a missed page costs with no HTTP, no pool and no
// server around it (bench/render.tsx: open, the route's queries, render, close), timed one miss at
// a time in its own process pinned to the server's core, while no server runs.
//
// Which misses: the steady window's part of the request sequence, replayed through an LRU of as
// many pages as the server's page cache held at the end of that window (its
// writekit_page_cache_entries gauge), from the server's start. That LRU's misses are a stand-in for
// the server's (its hit rate is reported beside the measured one); a seeded sample of them is
// timed, after a warm-up on misses from before the window.
//
// The sample is timed twice: once as found (the server has just read these blogs, so their files
// are in the kernel's page cache), and once with each blog's files dropped from that cache right
// before its render (posix_fadvise DONTNEED, after a sync), as a blog the server has not read for a
// while is: every page SQLite reads is then a read from the disk. The server's misses lie between.
//
//   bun bench/floor.ts INPUT.json   → one JSON line (FloorResult)
import { spawn, spawnSync } from "bun";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tenantPath, type TenantName } from "../src/tenants/names.ts";
import type { MixPage } from "./mixload.ts";
import { renderMiss } from "./render.tsx";
import { pinned, ROOT, SERVER_CPU } from "./server.ts";
import { percentile, seededRandom, shuffle } from "./stats.ts";

export interface FloorMiss {
  name: TenantName;
  page: MixPage;
}

interface FloorInput {
  dataDir: string;
  warmup: FloorMiss[];
  sample: FloorMiss[];
}

export interface FloorPass {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's CPU time per miss (user + system), ms: below meanMs when a miss waits for the disk. */
  cpuMeanMs: number;
  /** Of cpuMeanMs, the kernel's (system) time. */
  systemMeanMs: number;
  byKind: Record<string, { count: number; meanMs: number }>;
  meanBytes: number;
}

/** The warm pass at the top level (the floor the goal is measured against), the cold one beside it; null where the cache could not be dropped. */
export interface FloorResult extends FloorPass {
  fromDisk: FloorPass | null;
}

export interface SimulatedMisses {
  /** Entries (positions in the sequence) in [from, to) that missed. */
  misses: number[];
  hitRate: number;
}

/** Replays entries [start, to) (a server started at `start`) through an LRU of `capacity` pages; the misses in [from, to). */
export function simulateMisses(
  entries: Uint32Array,
  start: number,
  from: number,
  to: number,
  capacity: number,
): SimulatedMisses {
  const lru = new Map<number, true>();
  const misses: number[] = [];
  for (let i = start; i < to; i++) {
    const key = entries[i % entries.length];
    const hit = lru.delete(key);
    lru.set(key, true);
    if (!hit && lru.size > capacity) lru.delete(lru.keys().next().value!);
    if (i >= from && !hit) misses.push(i);
  }
  return { misses, hitRate: to > from ? 1 - misses.length / (to - from) : NaN };
}

/** A seeded sample of `count` of `items`, kept in their order. */
export function sampleOf<T>(items: T[], count: number, seed: number): T[] {
  if (items.length <= count) return items;
  const chosen = shuffle(
    items.map((_, i) => i),
    seededRandom(seed),
  )
    .slice(0, count)
    .sort((a, b) => a - b);
  return chosen.map((i) => items[i]);
}

type Drop = (path: string) => void;

/** posix_fadvise(POSIX_FADV_DONTNEED) through libc: drops a file's clean pages from the page cache. Null where it cannot be called. */
function pageCacheDropper(): Drop | null {
  if (process.platform !== "linux") return null;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", {
      posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 },
    });
    const POSIX_FADV_DONTNEED = 4;
    return (path) => {
      if (!existsSync(path)) return;
      const fd = openSync(path, "r");
      try {
        libc.symbols.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      } finally {
        closeSync(fd);
      }
    };
  } catch {
    return null;
  }
}

function pass(input: FloorInput, drop: Drop | null): FloorPass {
  const now = new Date();
  const pathOf = (m: FloorMiss) => tenantPath(input.dataDir, m.name);
  const render = (m: FloorMiss) => renderMiss(pathOf(m), m.name, `http://${m.name}.localhost`, m.page, now);
  for (const m of input.warmup) render(m);
  const times = new Float64Array(input.sample.length);
  const kinds: Record<string, { count: number; totalMs: number }> = {};
  let bytes = 0;
  let dropCpu = 0;
  let dropSystem = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < input.sample.length; i++) {
    const m = input.sample[i];
    if (drop) {
      const before = process.cpuUsage();
      for (const suffix of ["", "-wal"]) drop(pathOf(m) + suffix);
      const used = process.cpuUsage(before);
      dropCpu += used.user + used.system;
      dropSystem += used.system;
    }
    const t = performance.now();
    bytes += render(m);
    times[i] = performance.now() - t;
    const k = (kinds[m.page.kind] ??= { count: 0, totalMs: 0 });
    k.count++;
    k.totalMs += times[i];
  }
  const used = process.cpuUsage(cpu);
  const n = input.sample.length;
  const mean = times.reduce((a, b) => a + b, 0) / n;
  times.sort();
  return {
    count: n,
    meanMs: mean,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    // The drops' own CPU (an open, a fadvise, a close per file) is not the miss's.
    cpuMeanMs: (used.user + used.system - dropCpu) / 1000 / n,
    systemMeanMs: (used.system - dropSystem) / 1000 / n,
    byKind: Object.fromEntries(
      Object.entries(kinds).map(([kind, k]) => [kind, { count: k.count, meanMs: k.totalMs / k.count }]),
    ),
    meanBytes: bytes / n,
  };
}

function run(input: FloorInput): FloorResult {
  const warm = pass(input, null);
  const drop = pageCacheDropper();
  if (!drop) return { ...warm, fromDisk: null };
  // Dirty pages are not dropped: the server's last writes go to the disk first.
  spawnSync(["sync"]);
  return { ...warm, fromDisk: pass({ ...input, warmup: [] }, drop) };
}

if (import.meta.main) {
  const [file] = process.argv.slice(2);
  if (!file) {
    console.error("usage: bun bench/floor.ts INPUT.json");
    process.exit(2);
  }
  console.log(JSON.stringify(run(JSON.parse(readFileSync(file, "utf8")) as FloorInput)));
}

/** Runs the floor in its own process on the server's core; no server may be running. */
export async function measureFloor(
  workDir: string,
  dataDir: string,
  warmup: FloorMiss[],
  sample: FloorMiss[],
): Promise<FloorResult> {
  const file = join(workDir, "floor-input.json");
  writeFileSync(file, JSON.stringify({ dataDir, warmup, sample } satisfies FloorInput));
  const child = spawn({
    cmd: pinned(SERVER_CPU, [process.execPath, "bench/floor.ts", file]),
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NODE_ENV: "production" },
  });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  if (child.exitCode !== 0) throw new Error(`bench/floor.ts failed: ${err}`);
  return JSON.parse(out.trim().split("\n").pop()!) as FloorResult;
}
