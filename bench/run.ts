// `npm run bench`: every load shape side by side in one run, one table of medians and ratios,
// saved as JSON in bench/results/. Each shape lives in its own file and returns rows:
//   pages.ts   single-blog pages vs a bare Bun.serve with the same bytes (wrk)
//   many.ts    10,000 blogs, Zipf and uniform Host laws vs one Host (wrk + Lua)
//   memory.ts  peak RSS of a server after touching every blog
//   open.ts    open + first SELECT through the pool
//   startup.ts the compiled binary to its first 200
//   isolation.ts one light blog's p99 alone, beside a hammered blog, during an export
//   writes.ts  acknowledged comment writes per second, and the cost of recording one view
//   mix.ts     the reader mix (many pages of many blogs) through a fresh start, a steady state,
//              a shutdown and a restart, against one blog and against the bare cost of a miss
// Flags: --quick, --only ID[,ID…] (a row id or its prefix: page, page:post, many, rss, open,
// startup, isolation, mix), --blogs N, --seconds S, --runs R, --binary PATH, --keep (leave the
// generated data directories).
import { spawnSync } from "bun";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeBlogs } from "./blogs.ts";
import type { BenchContext } from "./context.ts";
import { hasWrk, WRK_INSTALL } from "./http.ts";
import { measureIsolation } from "./isolation.ts";
import { measureMany } from "./many.ts";
import { measureMemory } from "./memory.ts";
import { measureMix } from "./mix.ts";
import { makeMixBlogs } from "./mixblog.ts";
import { measureOpen } from "./open.ts";
import { measurePages } from "./pages.ts";
import { isPinningAvailable, LOAD_CPU, ROOT, serverKind, useServerBinary } from "./server.ts";
import { measureStartup } from "./startup.ts";
import { measureWrites } from "./writes.ts";
import { describeMachine, formatTable, saveResults, type Row } from "./table.ts";

const usage = `Usage: npm run bench -- [options]
  --quick          1,000 blogs, 2 s load runs, 1 run per row (a smoke test, not figures to quote)
  --only IDS       comma-separated row ids or prefixes: page, page:post, page:home, page:feed,
                   page:search, page:404, many, many:zipf, many:uniform, rss, open, startup, startup:many,
                   isolation, writes, writes:comments, writes:views, mix, mix:one, mix:cold,
                   mix:steady, mix:restart, mix:miss-cost, mix:floor, mix:rss, mix:stop
  --blogs N        blogs for the many-blog and reader-mix rows (default 10000)
  --seconds S      seconds of load per HTTP run (default 5; the many-blog rows run twice as long)
  --runs R         runs per row, the table shows medians (default 3)
  --binary PATH    run a compiled writekit (e.g. dist/writekit from npm run build) as the server
                   under test instead of src/ through Bun
  --keep           keep the generated data directories and print where they are`;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    blogs: { type: "string" },
    seconds: { type: "string" },
    runs: { type: "string" },
    binary: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const positive = (flag: string, raw: string | undefined, fallback: number) => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${flag} must be a positive whole number, got "${raw}"\n\n${usage}`);
    process.exit(2);
  }
  return n;
};
const options = {
  blogs: positive("blogs", values.blogs, values.quick ? 1000 : 10_000),
  seconds: positive("seconds", values.seconds, values.quick ? 2 : 5),
  runs: positive("runs", values.runs, values.quick ? 1 : 3),
  only: (values.only ?? [])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean),
};
if (values.binary !== undefined) {
  const binary = resolve(values.binary);
  if (!existsSync(binary)) {
    console.error(`bench: --binary ${values.binary}: no such file (npm run build makes dist/writekit)`);
    process.exit(2);
  }
  useServerBinary(binary);
}
const only = (id: string) => !options.only.length || options.only.some((s) => id === s || id.startsWith(s + ":"));

const wrk = hasWrk();
// Before pinning this process to one core, or nproc would count only that core.
const machine = describeMachine(wrk);
const notes: string[] = [];
if (!wrk) {
  notes.push(
    `wrk is not installed, so the HTTP rows (page:*, ceiling:*, many:*) were skipped. Install it with:\n    ${WRK_INSTALL}`,
  );
  console.error(`bench: ${notes[0]}`);
}
if (!isPinningAvailable())
  notes.push("taskset is missing: server and load generator were not pinned to separate cores");
// The load generator's core: this process and wrk share it, the servers get the other one.
else
  spawnSync(["taskset", "-a", "-p", "-c", String(LOAD_CPU), String(process.pid)], {
    stdout: "ignore",
    stderr: "ignore",
  });

const workDir = mkdtempSync(join(tmpdir(), "writekit-bench-work-"));
const fixtures: { dataDir: string }[] = [];
const lazy = <F extends { dataDir: string }>(make: () => F) => {
  let made: F | undefined;
  return () => {
    if (!made) fixtures.push((made = make()));
    return made;
  };
};
const started = performance.now();
/** The 1-minute load average: the machine is shared, and figures taken beside other work read low. */
const loadAverage = () => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  } catch {
    return "?";
  }
};
const loadAtStart = loadAverage();
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
const ctx: BenchContext = {
  seconds: options.seconds,
  runs: options.runs,
  workDir,
  hasWrk: wrk,
  progress,
  single: lazy(() => makeBlogs(1)),
  many: lazy(() => {
    progress(`making ${options.blogs.toLocaleString("en-US")} blogs (one real blog, copied)`);
    const f = makeBlogs(options.blogs);
    progress(
      `made ${options.blogs.toLocaleString("en-US")} blogs of ${(f.fileBytes / 1024).toFixed(0)} KiB each in ${f.dataDir}`,
    );
    return f;
  }),
  mixOne: lazy(() => makeMixBlogs(1)),
  mix: lazy(() => {
    progress(
      `making ${options.blogs.toLocaleString("en-US")} reader-mix blogs (one realistic blog of 101 posts, copied)`,
    );
    const f = makeMixBlogs(options.blogs);
    progress(
      `made ${options.blogs.toLocaleString("en-US")} blogs of ${(f.fileBytes / 1024).toFixed(0)} KiB each (${f.tags.length} tags; Markdown bodies ${f.bodyBytes.min}–${f.bodyBytes.max} B, median ${f.bodyBytes.median}) in ${f.dataDir}`,
    );
    return f;
  }),
  quick: values.quick,
};

const cleanUp = () => {
  rmSync(workDir, { recursive: true, force: true });
  if (values.keep) for (const f of fixtures) console.error(`kept ${f.dataDir}`);
  else for (const f of fixtures) rmSync(f.dataDir, { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanUp();
  process.exit(130);
});

/** The load shapes in the order their rows appear; add a shape by adding a line. */
const shapes: {
  name: string;
  http: boolean;
  measure: (ctx: BenchContext, only: (id: string) => boolean) => Promise<Row[]>;
}[] = [
  { name: "pages", http: true, measure: measurePages },
  { name: "many", http: true, measure: measureMany },
  { name: "isolation", http: true, measure: measureIsolation },
  { name: "memory", http: false, measure: measureMemory },
  { name: "open", http: false, measure: measureOpen },
  { name: "startup", http: false, measure: measureStartup },
  { name: "writes", http: false, measure: measureWrites },
  { name: "mix", http: true, measure: measureMix },
];

const rows: Row[] = [];
let failed = false;
try {
  for (const shape of shapes) {
    if (shape.http && !wrk) continue;
    try {
      rows.push(...(await shape.measure(ctx, only)));
    } catch (e) {
      failed = true;
      const message = `${shape.name} failed: ${e instanceof Error ? e.message : String(e)}`;
      notes.push(message);
      console.error(`bench: ${message}`);
    }
  }
} finally {
  cleanUp();
}

const date = new Date().toISOString();
notes.push(
  `load average (1 min) at the start ${loadAtStart}, at the end ${loadAverage()} on ${machine.nproc} cores: above ~1.5 other work shared the cores`,
);
console.log(
  `\nWriteKit benchmark — ${date.slice(0, 16).replace("T", " ")} UTC, ${machine.cpu}, ${machine.nproc} cores, ${machine.memoryGiB} GiB, Bun ${machine.bun}, commit ${machine.commit}${machine.dirty ? " (src/ modified)" : ""}`,
);
console.log(
  `server under test: ${serverKind()}, pinned to core 0, wrk -t1 -c50 (the reader mix: -c32) on core 1; medians of ${options.runs} run(s), ${options.seconds} s per HTTP run (the reader mix has its own phases)\n`,
);
console.log(formatTable(rows));
const withNotes = rows.filter((r) => r.note || (r.statuses && r.errors));
if (withNotes.length) {
  console.log("");
  for (const r of withNotes)
    console.log(`- ${r.title}: ${[r.note, r.errors ? `responses ${r.statuses}` : ""].filter(Boolean).join("; ")}`);
}
for (const note of notes) console.log(`- ${note}`);
const file = saveResults(join(ROOT, "bench", "results"), { date, machine, options, rows, notes });
console.log(`\nsaved ${file}`);
process.exit(failed ? 1 : 0);
