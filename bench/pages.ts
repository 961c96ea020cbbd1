// Single-blog pages against the ceiling. Each row is one path; to measure another page, add a line
// to PAGES. For every page, a bare Bun.serve (bench/ceiling.ts) replays the exact bytes the real
// server sent for that path, and both are loaded in the same round, alternating which goes first,
// so the ratio holds even when the shared machine's speed drifts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Fixture } from "./blogs.ts";
import { SEARCH_WORD } from "./blogs.ts";
import { capturePage, type CapturedPage } from "./ceiling.ts";
import type { BenchContext } from "./context.ts";
import { formatStatuses, runLoad, type LoadResult } from "./http.ts";
import { median } from "./stats.ts";
import type { Row } from "./table.ts";
import { startServer, writekitServe } from "./server.ts";

export interface PageSpec {
  id: string;
  title: string;
  path: (blog: Fixture) => string;
  /** The status this path should answer (default 200); anything else counts as an error. */
  expect?: number;
  /** Goal for page req/s ÷ ceiling req/s (issue 7). */
  goal?: number;
}

export const PAGES: PageSpec[] = [
  { id: "post", title: "post page /<slug>", path: (b) => `/${b.postSlug}`, goal: 0.7 },
  { id: "home", title: "home page /", path: () => "/" },
  { id: "feed", title: "Atom feed /feed.xml", path: () => "/feed.xml" },
  { id: "search", title: `search /search?q=${SEARCH_WORD}`, path: () => `/search?q=${SEARCH_WORD}` },
  { id: "404", title: "404 /no-such-post", path: () => "/no-such-post", expect: 404 },
];

/** The Host every single-blog row asks for. */
export const SINGLE_HOST = (blog: Fixture) => `${blog.names[0]}.localhost`;

function okStatuses(spec: PageSpec): number[] | undefined {
  return spec.expect && (spec.expect < 200 || spec.expect >= 300) ? [spec.expect] : undefined;
}

function sumStatuses(results: LoadResult[]): string {
  const all: Record<string, number> = {};
  for (const r of results) for (const [s, n] of Object.entries(r.statuses)) all[s] = (all[s] ?? 0) + n;
  return formatStatuses(all);
}

export async function measurePages(ctx: BenchContext, only: (id: string) => boolean): Promise<Row[]> {
  const specs = PAGES.filter((p) => only(`page:${p.id}`) || only(`ceiling:${p.id}`));
  if (!specs.length) return [];
  const blog = ctx.single();
  const host = SINGLE_HOST(blog);
  ctx.progress(`single blog: starting writekit serve on core 0`);
  const server = await startServer({
    argv: writekitServe(blog.dataDir),
    logFile: join(ctx.workDir, "serve-single.log"),
  });
  let ceiling: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const captured: CapturedPage[] = [];
    for (const spec of specs) {
      await capturePage(server.origin, host, spec.path(blog)); // the first answer renders and caches
      captured.push(await capturePage(server.origin, host, spec.path(blog)));
    }
    const pagesFile = join(ctx.workDir, "ceiling-pages.json");
    writeFileSync(pagesFile, JSON.stringify(captured));
    ceiling = await startServer({
      argv: [process.execPath, "bench/ceiling.ts", pagesFile],
      logFile: join(ctx.workDir, "ceiling.log"),
    });

    const load = (origin: string, spec: PageSpec, seconds: number, ok: number[] | undefined) =>
      runLoad({ origin, path: spec.path(blog), host, seconds, okStatuses: ok, workDir: ctx.workDir });
    const results = new Map<string, { page: LoadResult[]; ceiling: LoadResult[] }>(
      specs.map((s) => [s.id, { page: [], ceiling: [] }]),
    );
    for (const [i, spec] of specs.entries()) {
      ctx.progress(`warming ${spec.path(blog)} and its ceiling`);
      await load(server.origin, spec, 1, okStatuses(spec));
      await load(ceiling.origin, spec, 1, [captured[i].status]);
    }
    for (let round = 0; round < ctx.runs; round++) {
      for (const [i, spec] of specs.entries()) {
        ctx.progress(`round ${round + 1}/${ctx.runs}: ${spec.path(blog)} vs ceiling, ${ctx.seconds}s each`);
        const r = results.get(spec.id)!;
        const pageFirst = round % 2 === 1;
        if (pageFirst) r.page.push(await load(server.origin, spec, ctx.seconds, okStatuses(spec)));
        r.ceiling.push(await load(ceiling.origin, spec, ctx.seconds, [captured[i].status]));
        if (!pageFirst) r.page.push(await load(server.origin, spec, ctx.seconds, okStatuses(spec)));
      }
    }

    const rows: Row[] = [];
    for (const [i, spec] of specs.entries()) {
      const { page, ceiling: bare } = results.get(spec.id)!;
      const bytes = Buffer.from(captured[i].body, "base64").length;
      const ratio = median(page.map((p, k) => p.reqPerSec / bare[k].reqPerSec));
      const expected = spec.expect ?? 200;
      rows.push({
        id: `ceiling:${spec.id}`,
        title: `ceiling: bare Bun.serve, same ${bytes.toLocaleString("en-US")} B as ${spec.id}`,
        reqPerSec: median(bare.map((r) => r.reqPerSec)),
        p50Ms: median(bare.map((r) => r.p50Ms)),
        p99Ms: median(bare.map((r) => r.p99Ms)),
        errors: bare.reduce((n, r) => n + r.errors, 0),
        statuses: sumStatuses(bare),
        runs: bare.length,
        samples: bare,
      });
      rows.push({
        id: `page:${spec.id}`,
        title: spec.title,
        reqPerSec: median(page.map((r) => r.reqPerSec)),
        p50Ms: median(page.map((r) => r.p50Ms)),
        p99Ms: median(page.map((r) => r.p99Ms)),
        errors: page.reduce((n, r) => n + r.errors, 0),
        statuses: sumStatuses(page),
        ratio,
        ratioTo: "of ceiling",
        goal: spec.goal ? `≥ ${spec.goal} of ceiling` : undefined,
        met: spec.goal ? ratio >= spec.goal : undefined,
        runs: page.length,
        note: `${bytes.toLocaleString("en-US")} B body, answered ${captured[i].status}${captured[i].status !== expected ? ` (expected ${expected})` : ""}`,
        samples: page,
      });
    }
    return rows;
  } finally {
    await ceiling?.stop();
    await server.stop();
  }
}
