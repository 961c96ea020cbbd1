// Writes and the view counter:
// - acknowledged comment writes per second on one blog: wrk POSTs the comment form (each request
//   from its own client address through X-Forwarded-For, with loopback named --trusted-proxy, so the
//   per-client limit stays out of it); a 303 is the acknowledgement, sent only after the commit,
//   and after the run the blog's file must hold exactly as many comments as there were 303s. The
//   blog approves comments as they come (comment_policy = approve): under moderation a blog holds
//   at most 500 waiting comments and answers 429 beyond, which would measure the limit, not writes.
//   Only 303s count as req/s; any other answer is an error and fails the goal.
// - the cost of recording one view: ViewCounter.record in a loop, in this process, ns per call.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { ViewCounter } from "../src/blog/views.ts";
import type { TenantName } from "../src/tenants/names.ts";
import type { BenchContext } from "./context.ts";
import { formatStatuses, runLoad } from "./http.ts";
import { startServer, writekitServe } from "./server.ts";
import { median } from "./stats.ts";
import type { Row } from "./table.ts";

const COMMENT_GOAL = 1000;
const VIEW_GOAL_NS = 1000;

function commentLua(host: string, path: string): string {
  const q = (s: string) => JSON.stringify(s);
  return `
function init(args) statuses = {} n = 0 end
function request()
  n = n + 1
  local ip = "10." .. (id % 256) .. "." .. (math.floor(n / 256) % 256) .. "." .. (n % 256)
  return wrk.format("POST", ${q(path)}, { Host = ${q(host)}, ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Forwarded-For"] = ip }, "name=Bench+reader&body=Comment+number+" .. n)
end`;
}

function approveComments(dataDir: string, name: string): void {
  const db = new Database(join(dataDir, "tenants", `${name}.db`));
  try {
    db.run(
      "INSERT INTO settings (key, value) VALUES ('comment_policy', 'approve') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
  } finally {
    db.close();
  }
}

function countComments(dataDir: string, name: string): number {
  const db = new Database(join(dataDir, "tenants", `${name}.db`), { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM comments").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function measureComments(ctx: BenchContext): Promise<Row> {
  const blog = ctx.single();
  const name = blog.names[0];
  const samples: {
    reqPerSec: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    statuses: Record<string, number>;
    lost: number;
  }[] = [];
  approveComments(blog.dataDir, name);
  for (let run = 0; run < ctx.runs; run++) {
    ctx.progress(`comment writes ${run + 1}/${ctx.runs}: POST /${blog.postSlug}/comments, ${ctx.seconds}s`);
    const before = countComments(blog.dataDir, name);
    const server = await startServer({
      argv: writekitServe(blog.dataDir, ["--trusted-proxy", "127.0.0.1"]),
      logFile: join(ctx.workDir, "serve-writes.log"),
    });
    let load;
    try {
      const path = `/${blog.postSlug}/comments`;
      load = await runLoad({
        origin: server.origin,
        path,
        seconds: ctx.seconds,
        okStatuses: [303],
        workDir: ctx.workDir,
        requestLua: commentLua(`${name}.localhost`, path),
      });
    } finally {
      await server.stop();
    }
    const stored = countComments(blog.dataDir, name) - before;
    // wrk may cut connections at the end of its run after the server committed: more rows than
    // 303s is possible, fewer would be a lost acknowledged write.
    const acknowledged = load.statuses["303"] ?? 0;
    samples.push({ ...load, reqPerSec: acknowledged / load.seconds, lost: Math.max(0, acknowledged - stored) });
  }
  const reqPerSec = median(samples.map((s) => s.reqPerSec));
  const lost = samples.reduce((n, s) => n + s.lost, 0);
  return {
    id: "writes:comments",
    title: "comment writes, acknowledged (303 after commit), one blog",
    reqPerSec,
    p50Ms: median(samples.map((s) => s.p50Ms)),
    p99Ms: median(samples.map((s) => s.p99Ms)),
    errors: samples.reduce((n, s) => n + s.errors, 0) + lost,
    statuses: formatStatuses(
      samples.reduce(
        (m, s) => {
          for (const [k, v] of Object.entries(s.statuses)) m[k] = (m[k] ?? 0) + v;
          return m;
        },
        {} as Record<string, number>,
      ),
    ),
    value: `${lost} lost`,
    goal: `≥ ${COMMENT_GOAL.toLocaleString("en-US")}/s acknowledged, none lost`,
    met: reqPerSec >= COMMENT_GOAL && lost === 0 && samples.every((s) => s.errors === 0),
    runs: samples.length,
    note: "each 303 is sent after the comment's transaction committed; the rows in the file are counted after the run",
  };
}

function measureViewRecord(ctx: BenchContext): Row {
  const blogs = Array.from({ length: 100 }, (_, i) => `blog-${i}` as TenantName);
  const calls = 2_000_000;
  const perCall: number[] = [];
  for (let run = 0; run < Math.max(ctx.runs, 5); run++) {
    const counter = new ViewCounter(); // the real clock, as the server uses it
    for (let i = 0; i < 100_000; i++) counter.record(blogs[i % 100], i % 97); // warm the JIT
    const started = Bun.nanoseconds();
    for (let i = 0; i < calls; i++) counter.record(blogs[i % 100], i % 97);
    perCall.push((Bun.nanoseconds() - started) / calls);
  }
  const ns = median(perCall);
  return {
    id: "writes:views",
    title: "record one view (in memory; written later by the flusher)",
    value: `${ns.toFixed(0)} ns`,
    goal: `≤ ${VIEW_GOAL_NS.toLocaleString("en-US")} ns`,
    met: ns <= VIEW_GOAL_NS,
    runs: perCall.length,
    note: `${calls.toLocaleString("en-US")} calls per run over 100 blogs × 97 posts, with the real clock`,
  };
}

export async function measureWrites(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  const rows: Row[] = [];
  if (ctx.hasWrk && only("writes:comments")) rows.push(await measureComments(ctx));
  if (only("writes:views")) rows.push(measureViewRecord(ctx));
  return rows;
}
