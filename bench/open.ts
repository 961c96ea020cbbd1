// Opening a blog: pool.get (stat, open, pragmas, schema check, and closing the least recently used
// blog once the pool is full) plus the first SELECT, over every blog in a shuffled order, so every
// call is a miss. Runs in its own process pinned to the server's core:
//   bun bench/open.ts DATA_DIR PASSES  → one JSON line
// It also times the phases of a miss one by one on a sample, to show what dominates.
import { loadConfig } from "../src/config.ts";
import { constants, Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { spawn, spawnSync } from "bun";
import type { BenchContext } from "./context.ts";
import { pinned, ROOT, SERVER_CPU } from "./server.ts";
import { median, percentile, seededRandom, shuffle } from "./stats.ts";
import type { Row } from "./table.ts";
import { listTenantNames, tenantPath, type TenantName } from "../src/tenants/names.ts";
import { pendingMigrations } from "../src/tenants/migrate.ts";
import { SERVER_BUSY_TIMEOUT_MS } from "../src/tenants/opener.ts";
import { Pool } from "../src/tenants/pool.ts";
import { BlogRegistry } from "../src/tenants/registry.ts";
import { trimWalIndex } from "../src/tenants/walindex.ts";

/** The server's default pool cap, as `writekit serve` uses it. */
const DEFAULT_MAX_OPEN = loadConfig({}, {}).maxOpen;
/** The home page's first question to a blog: its settings. */
const FIRST_SELECT = "SELECT key, value FROM settings";

interface PassResult {
  p50Ms: number;
  p99Ms: number;
  getP50Ms: number;
  selectP50Ms: number;
}

type Phases = Record<string, number>;

/**
 * Writes every dirty page to disk first: a miss opens a blog nobody asked for in a while, whose
 * files the kernel wrote out long ago, not one the pass before touched a second ago (freeing
 * blocks already on disk is what a -shm truncate costs; see src/tenants/walindex.ts).
 */
function writeBack(): void {
  spawnSync(["sync"]);
}

function measurePass(dataDir: string, names: TenantName[], seed: number): PassResult {
  writeBack();
  const pool = new Pool(new BlogRegistry({ dataDir }), { maxOpen: DEFAULT_MAX_OPEN });
  const order = shuffle([...names], seededRandom(seed));
  const total = new Float64Array(order.length);
  const get = new Float64Array(order.length);
  const select = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const t0 = performance.now();
    const tenant = pool.get(order[i]);
    const t1 = performance.now();
    tenant.db.query(FIRST_SELECT).all();
    const t2 = performance.now();
    total[i] = t2 - t0;
    get[i] = t1 - t0;
    select[i] = t2 - t1;
  }
  pool.closeAll();
  for (const a of [total, get, select]) a.sort();
  return {
    p50Ms: percentile(total, 50),
    p99Ms: percentile(total, 99),
    getP50Ms: percentile(get, 50),
    selectP50Ms: percentile(select, 50),
  };
}

/**
 * The steps of a miss as src/tenants/open.ts and pool.ts take them today, each timed alone (median
 * ms over a sample of blogs that are not open). A profile, not a contract: when open.ts changes,
 * this list should follow it.
 */
function measurePhases(dataDir: string, names: TenantName[]): Phases {
  const sample = shuffle([...names], seededRandom(99)).slice(0, Math.min(2000, names.length));
  const steps: [string, (s: { path: string; db?: Database }) => void][] = [
    ["stat", (s) => void statSync(s.path)],
    ["new Database", (s) => void (s.db = new Database(s.path, { readwrite: true, create: false, strict: true }))],
    ["busy_timeout", (s) => s.db!.run(`PRAGMA busy_timeout = ${SERVER_BUSY_TIMEOUT_MS}`)],
    ["journal_mode=WAL (first access)", (s) => s.db!.run("PRAGMA journal_mode = WAL")],
    ["synchronous", (s) => s.db!.run("PRAGMA synchronous = NORMAL")],
    [
      "persist WAL+size limit",
      (s) => (s.db!.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1), s.db!.run("PRAGMA journal_size_limit = 0")),
    ],
    ["foreign_keys", (s) => s.db!.run("PRAGMA foreign_keys = ON")],
    ["cache_size+temp_store", (s) => (s.db!.run("PRAGMA cache_size = -128"), s.db!.run("PRAGMA temp_store = MEMORY"))],
    ["schema check", (s) => void pendingMigrations(s.db!)],
    ["first SELECT", (s) => void s.db!.query(FIRST_SELECT).all()],
    ["close", (s) => s.db!.close()],
    ["cut WAL index", (s) => void trimWalIndex(s.path)],
  ];
  const times = new Map<string, number[]>(steps.map(([name]) => [name, []]));
  writeBack();
  for (const name of sample) {
    const state: { path: string; db?: Database } = { path: tenantPath(dataDir, name) };
    for (const [step, run] of steps) {
      const t = performance.now();
      run(state);
      times.get(step)!.push(performance.now() - t);
    }
  }
  return Object.fromEntries([...times].map(([step, t]) => [step, median(t)]));
}

if (import.meta.main) {
  const [dataDir, passes] = process.argv.slice(2);
  const names = listTenantNames(dataDir);
  // Blogs a server has opened before keep their -wal and -shm files; copies fresh from the
  // fixture have none yet, and creating them is a one-time cost no later miss pays.
  if (!existsSync(tenantPath(dataDir, names[0]) + "-wal")) {
    const pool = new Pool(new BlogRegistry({ dataDir }), { maxOpen: DEFAULT_MAX_OPEN });
    for (const name of names) pool.get(name).db.query(FIRST_SELECT).all();
    pool.closeAll();
  }
  const results = Array.from({ length: Number(passes) }, (_, i) => measurePass(dataDir, names, i + 1));
  console.log(JSON.stringify({ passes: results, phases: measurePhases(dataDir, names) }));
}

export async function measureOpen(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  if (!only("open")) return [];
  const fixture = ctx.many();
  ctx.progress(
    `opening ${fixture.names.length.toLocaleString("en-US")} blogs through the pool, ${ctx.runs} passes, pinned to core ${SERVER_CPU}`,
  );
  const child = spawn({
    cmd: pinned(SERVER_CPU, [process.execPath, "bench/open.ts", fixture.dataDir, String(ctx.runs)]),
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  if (child.exitCode !== 0) throw new Error(`bench/open.ts failed: ${err}`);
  const { passes, phases } = JSON.parse(out.trim().split("\n").pop()!) as { passes: PassResult[]; phases: Phases };
  const p99 = median(passes.map((p) => p.p99Ms));
  const phaseText = Object.entries(phases)
    .map(([step, ms]) => `${step} ${(ms * 1000).toFixed(0)} µs`)
    .join(", ");
  return [
    {
      id: "open",
      title: `open + first SELECT via Pool (${fixture.names.length.toLocaleString("en-US")} blogs, cap ${DEFAULT_MAX_OPEN})`,
      p50Ms: median(passes.map((p) => p.p50Ms)),
      p99Ms: p99,
      goal: "p99 ≤ 1 ms",
      met: p99 <= 1,
      runs: passes.length,
      note: `pool.get p50 ${(median(passes.map((p) => p.getP50Ms)) * 1000).toFixed(0)} µs (includes closing the evicted blog), first SELECT p50 ${(median(passes.map((p) => p.selectP50Ms)) * 1000).toFixed(0)} µs; a miss step by step (median): ${phaseText}`,
      samples: [{ passes, phases }],
    },
  ];
}
