// Start-up of the compiled binary: from spawn to the first 200 on /healthz, polled as fast as a
// refused connection returns. dist/writekit is built first when it is missing or older than the
// source it is built from.
import { spawn, spawnSync } from "bun";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { freePort, pinned, ROOT, SERVER_CPU } from "./server.ts";
import { median } from "./stats.ts";
import type { Row } from "./table.ts";

const BINARY = join(ROOT, "dist", "writekit");
const RUNS = 10;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBinary(ctx: BenchContext): void {
  const stale =
    !existsSync(BINARY) ||
    statSync(BINARY).mtimeMs < Math.max(newestSource(join(ROOT, "src")), newestSource(join(ROOT, "migrations")));
  if (!stale) return;
  ctx.progress(`building ${BINARY} (npm run build): it is missing or older than src/`);
  const path = `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`;
  const build = spawnSync(["npm", "run", "build"], {
    cwd: ROOT,
    env: { ...process.env, PATH: path },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`npm run build failed:\n${build.stderr.toString()}`);
}

/** Milliseconds from spawn to the first 200 answer. */
async function startOnce(dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn({
    cmd: pinned(SERVER_CPU, [BINARY, "serve", "--data", dataDir, "--hostname", "127.0.0.1", "--port", String(port)]),
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        await r.arrayBuffer();
        if (r.status === 200) return performance.now() - started;
      } catch {
        // Not listening yet.
      }
      if (child.exitCode !== null) throw new Error(`dist/writekit exited with ${child.exitCode} before answering`);
      if (performance.now() - started > 10_000) throw new Error("dist/writekit did not answer within 10 s");
      await Bun.sleep(1);
    }
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

export async function measureStartup(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  const wanted = [
    { id: "startup", fixture: ctx.single, label: "1 blog" },
    { id: "startup:many", fixture: ctx.many, label: "" },
  ].filter((w) => only(w.id));
  if (!wanted.length) return [];
  ensureBinary(ctx);
  const rows: Row[] = [];
  for (const w of wanted) {
    const fixture = w.fixture();
    const label = w.label || `${fixture.names.length.toLocaleString("en-US")} blogs`;
    ctx.progress(`start-up of dist/writekit to its first 200, ${label}, ${RUNS} runs after one warm-up`);
    await startOnce(fixture.dataDir);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await startOnce(fixture.dataDir));
    const p50 = median(times);
    rows.push({
      id: w.id,
      title: `start-up of dist/writekit to first 200 (${label})`,
      value: `${p50.toFixed(0)} ms`,
      goal: "≤ 100 ms",
      met: p50 <= 100,
      runs: times.length,
      note: `min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
      samples: times,
    });
  }
  return rows;
}
