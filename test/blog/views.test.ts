import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { ViewCounter } from "../../src/blog/views.ts";
import { flushViews, viewFlushTick } from "../../src/server/flusher.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeServer, makeBlog, request, tempDir } from "../helpers.ts";

const alice = parseTenantName("alice");

async function setup(maxOpen = 10) {
  const data = tempDir();
  await makeBlog(data, "alice");
  await makeBlog(data, "bob");
  const { handler, services } = makeServer(data, { maxOpen });
  let now = new Date("2026-06-01T23:59:00Z");
  services.now = () => now;
  for (const name of ["alice", "bob"]) {
    createPost(services.pool.get(parseTenantName(name)).db, { title: "Hello", body: "x", status: "published", publishedAt: "2026-05-01T00:00:00Z" });
  }
  return { data, handler, services, setNow: (d: string) => (now = new Date(d)) };
}

function stored(data: string, name: string) {
  const db = new Database(join(data, "tenants", `${name}.db`), { readonly: true });
  const views = (db.query("SELECT views FROM posts WHERE slug = 'hello'").get() as any).views;
  const daily = db.query("SELECT day, views FROM daily_views ORDER BY day").all();
  db.close();
  return { views, daily };
}

describe("the batched view counter", () => {
  test("a post read counts a view in memory, cache hit or not, and writes nothing until a flush", async () => {
    const { handler, services, data } = await setup();
    for (let i = 0; i < 3; i++) expect((await request(handler, "alice.localhost", "/hello")).status).toBe(200);
    await request(handler, "alice.localhost", "/"); // not a post: no view
    await request(handler, "alice.localhost", "/missing"); // 404: no view
    expect(services.views.pendingFor(alice)).toBe(3);
    expect(stored(data, "alice").views).toBe(0);
    const result = flushViews(services);
    expect(result).toMatchObject({ blogs: 1, failed: [] });
    expect(stored(data, "alice")).toEqual({ views: 3, daily: [{ day: "2026-06-01", views: 3 }] });
    expect(services.views.pendingViews).toBe(0);
  });

  test("views are counted per day", async () => {
    const { handler, services, data, setNow } = await setup();
    await request(handler, "alice.localhost", "/hello");
    setNow("2026-06-02T00:01:00Z");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/hello");
    flushViews(services);
    expect(stored(data, "alice")).toEqual({ views: 3, daily: [{ day: "2026-06-01", views: 1 }, { day: "2026-06-02", views: 2 }] });
  });

  test("evicting a blog from the pool loses none of its pending views", async () => {
    const { handler, services, data } = await setup(1);
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello"); // evicts alice (cap 1)
    expect(services.pool.peek(alice)).toBeUndefined();
    expect(services.pool.stats.evictions).toBeGreaterThan(0);
    flushViews(services);
    expect(stored(data, "alice").views).toBe(2);
    expect(stored(data, "bob").views).toBe(1);
    expect(services.pool.peek(alice)).toBeUndefined(); // the flush did not push readers' blogs out
  });

  test("a blog whose flush fails keeps its counts and retries; the others flush", async () => {
    const { handler, services, data } = await setup();
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello");
    // Break alice: its database file is replaced by garbage and its handle closed.
    services.pool.close(alice);
    const path = join(data, "tenants", "alice.db");
    const good = await Bun.file(path).arrayBuffer();
    writeFileSync(path, "garbage".repeat(1000));
    const failed = flushViews(services);
    expect(failed.failed.map((f) => f.blog)).toEqual([alice]);
    expect(stored(data, "bob").views).toBe(1);
    expect(services.views.pendingFor(alice)).toBe(1);
    writeFileSync(path, new Uint8Array(good));
    const retried = flushViews(services);
    expect(retried.failed).toEqual([]);
    expect(stored(data, "alice").views).toBe(1);
  });

  test("blogs wait in the order of their oldest view, and the walk for due blogs stops at the first not due", () => {
    const views = new ViewCounter();
    const [bob, alice, carol] = ["bob", "alice", "carol"].map(parseTenantName);
    views.record(bob, 1, 1_000);
    views.record(alice, 1, 2_000);
    views.record(bob, 2, 2_500); // bob keeps his place: his oldest view is still the oldest
    views.record(carol, 1, 9_000);
    expect([...views.dueBlogs(5_000)]).toEqual([bob, alice]);
    expect([...views.dueBlogs()]).toEqual([bob, alice, carol]);
    expect(views.isDue(carol, 5_000)).toBe(false);
    expect(views.isDue(carol, 9_001)).toBe(true);
  });

  test("a tick writes due closed blogs and leaves the ones not due yet", async () => {
    const { handler, services, data, setNow } = await setup(1);
    await makeBlog(data, "carol");
    createPost(services.pool.get(parseTenantName("carol")).db, { title: "Hello", body: "x", status: "published", publishedAt: "2026-05-01T00:00:00Z" });
    await request(handler, "bob.localhost", "/hello"); // 23:59:00
    setNow("2026-06-01T23:59:08Z");
    await request(handler, "alice.localhost", "/hello"); // bob is closed now (cap 1)
    await request(handler, "carol.localhost", "/hello"); // and alice too
    setNow("2026-06-01T23:59:10Z");
    flushViews(services, { minAgeMs: 5000, closedBudgetMs: 50 });
    expect([stored(data, "bob").views, stored(data, "alice").views, stored(data, "carol").views]).toEqual([1, 0, 0]);
    setNow("2026-06-01T23:59:13Z");
    flushViews(services, { minAgeMs: 5000, closedBudgetMs: 50 });
    expect([stored(data, "alice").views, stored(data, "carol").views]).toEqual([1, 1]);
    expect(services.views.pendingViews).toBe(0);
  });

  test("a failed flush puts back the counts of every day, merged with views recorded since", async () => {
    const { handler, services, data, setNow } = await setup();
    await request(handler, "alice.localhost", "/hello"); // 2026-06-01
    setNow("2026-06-02T00:01:00Z");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/hello");
    const db = services.pool.get(alice).db;
    db.run("CREATE TRIGGER refuse BEFORE UPDATE OF views ON posts BEGIN SELECT RAISE(ABORT, 'refused'); END");
    expect(flushViews(services).failed.map((f) => f.blog)).toEqual([alice]);
    expect(services.views.pendingFor(alice)).toBe(3);
    await request(handler, "alice.localhost", "/hello"); // recorded after the failure, before the retry
    db.run("DROP TRIGGER refuse");
    expect(flushViews(services).failed).toEqual([]);
    expect(stored(data, "alice")).toEqual({ views: 4, daily: [{ day: "2026-06-01", views: 1 }, { day: "2026-06-02", views: 3 }] });
    expect(services.views.pendingViews).toBe(0);
  });

  test("a clean shutdown (SIGTERM) flushes pending views", async () => {
    const { data } = await setup();
    const { BUN, REPO } = await import("../helpers.ts");
    const s = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = s.port!;
    s.stop(true);
    const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1", "--flush-interval", "3600000"], { stdout: "pipe", stderr: "pipe" });
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
      if (!ok) await Bun.sleep(50);
    }
    for (let i = 0; i < 4; i++) await fetch(`http://127.0.0.1:${port}/hello`, { headers: { host: "alice.localhost" } });
    expect(stored(data, "alice").views).toBe(0);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(stored(data, "alice").views).toBe(4);
  });

  test("recording a view is cheap and needs no open database", async () => {
    const { services } = await setup();
    services.pool.closeAll();
    services.views.record(alice, 1);
    expect(services.pool.size).toBe(0);
    expect(services.views.pendingFor(alice)).toBe(1);
  });

  test("the periodic flush writes a blog once its views are an interval old; closed blogs wait past the time budget", async () => {
    const { handler, services, data, setNow } = await setup(1);
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello"); // alice is now closed, bob open
    setNow("2026-06-01T23:59:04Z");
    expect(flushViews(services, { minAgeMs: 5000, closedBudgetMs: 0 }).blogs).toBe(0); // not due yet
    setNow("2026-06-01T23:59:05Z");
    flushViews(services, { minAgeMs: 5000, closedBudgetMs: 0 });
    expect(stored(data, "bob").views).toBe(1); // open: always written when due
    expect(stored(data, "alice").views).toBe(0); // closed: over the (zero) budget, still pending
    expect(services.views.pendingFor(alice)).toBe(1);
    flushViews(services, { minAgeMs: 5000, closedBudgetMs: 50 });
    expect(stored(data, "alice").views).toBe(1);
  });

  test("closed blogs go to the writer in larger batches while no reader is being answered", async () => {
    const { handler, services } = await setup();
    const batches: (number | undefined)[] = [];
    const tick = viewFlushTick(services, undefined, (_, options) => (batches.push(options?.batch), { blogs: 0, rows: 0, failed: [] }));
    tick();
    await request(handler, "alice.localhost", "/hello");
    await new Promise((resolve) => setImmediate(resolve)); // Elysia counts the answer after sending it
    tick();
    tick();
    expect(batches).toEqual([64, 4, 64]); // idle, busy, idle again
  });
});
