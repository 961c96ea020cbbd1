// Peak memory of a real server after every blog has been opened once: a fresh `writekit serve`
// gets `/` on each `<name>.localhost`, in a shuffled order, so every blog passes through the pool
// (the default pool cap) and its home page through the page cache. VmHWM from /proc is the peak.
import { loadConfig } from "../src/config.ts";
import { join } from "node:path";
import type { BenchContext } from "./context.ts";
import { startServer, writekitServe, type Memory } from "./server.ts";
import { median, seededRandom, shuffle } from "./stats.ts";
import type { Row } from "./table.ts";
import { visitEveryBlog } from "./visit.ts";

const CONCURRENCY = 8;
const MB = 2 ** 20;

export async function measureMemory(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  if (!only("rss")) return [];
  const fixture = ctx.many();
  const n = fixture.names.length;
  const samples: { memory: Memory; seconds: number; statuses: Record<string, number>; failures: number }[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    ctx.progress(`run ${run + 1}/${ctx.runs}: touching all ${n.toLocaleString("en-US")} blogs through a fresh server`);
    const server = await startServer({
      argv: writekitServe(fixture.dataDir),
      logFile: join(ctx.workDir, "serve-rss.log"),
      timeoutMs: 60_000,
    });
    try {
      const order = shuffle(
        fixture.names.map((name) => `${name}.localhost`),
        seededRandom(100 + run),
      );
      const { seconds, statuses, failures } = await visitEveryBlog(server.origin, order, "/", CONCURRENCY);
      const memory = server.memory();
      if (!memory) throw new Error("cannot read the server's /proc/PID/status");
      samples.push({ memory, seconds, statuses, failures });
    } finally {
      await server.stop();
    }
  }
  const peak = median(samples.map((s) => s.memory.peakBytes)) / MB;
  const errors = samples.reduce(
    (k, s) => k + s.failures + Object.entries(s.statuses).reduce((m, [st, c]) => m + (st === "200" ? 0 : c), 0),
    0,
  );
  return [
    {
      id: "rss",
      title: `peak RSS after touching all ${n.toLocaleString("en-US")} blogs (cap ${loadConfig({}, {}).maxOpen})`,
      reqPerSec: median(samples.map((s) => n / s.seconds)),
      errors,
      value: `${Math.round(peak)} MB`,
      goal: "≤ 200 MB",
      met: peak <= 200 && errors === 0,
      runs: samples.length,
      note: `RSS at the end ${Math.round(median(samples.map((s) => s.memory.rssBytes)) / MB)} MB; req/s here is first visits (each a pool miss and a render), ${CONCURRENCY} at a time`,
      samples,
    },
  ];
}
