import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { applyViews, ViewCounter } from "../../src/blog/views.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, makeServer, request, settleViews, tempDir } from "../helpers.ts";

const alice = parseTenantName("alice");
const bob = parseTenantName("bob");

async function setup(maxOpen = 10) {
  const data = tempDir();
  await makeBlog(data, "alice");
  await makeBlog(data, "bob");
  const { handler, services } = makeServer(data, { maxOpen });
  let now = new Date("2026-06-01T23:59:00Z");
  services.now = () => now;
  for (const name of [alice, bob]) {
    const db = openBlogDatabase(join(data, "tenants", `${name}.db`));
    createPost(db, { title: "Hello", body: "x", status: "published", publishedAt: "2026-05-01T00:00:00Z" });
    db.close();
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

describe("page views", () => {
  test("a post read counts a view in memory, cached or not, and nothing is written to the blog until the flusher adds it", async () => {
    const { handler, services, data } = await setup();
    for (let i = 0; i < 3; i++) expect((await request(handler, "alice.localhost", "/hello")).status).toBe(200);
    await request(handler, "alice.localhost", "/"); // not a post: no view
    await request(handler, "alice.localhost", "/missing"); // 404: no view
    expect(services.views.pendingFor(alice)).toBe(3);
    expect(stored(data, "alice").views).toBe(0);
    await settleViews(services);
    expect(stored(data, "alice")).toEqual({ views: 3, daily: [{ day: "2026-06-01", views: 3 }] });
    expect(services.views.pendingViews).toBe(0);
  });

  test("a HEAD, and a crawler's or monitor's GET, is not a view; a reader's conditional GET (304) is", async () => {
    const { handler, services } = await setup();
    const first = await request(handler, "alice.localhost", "/hello");
    const etag = first.headers.get("etag")!;
    expect((await request(handler, "alice.localhost", "/hello", { method: "HEAD" })).status).toBe(200);
    for (const ua of [
      "Googlebot/2.1 (+http://www.google.com/bot.html)",
      "UptimeRobot/2.0",
      "Pingdom.com_bot_version_1.4",
      "curl/8.4.0",
      "Mozilla/5.0 (compatible; bingbot/2.0)",
      "python-requests/2.31",
    ]) {
      expect((await request(handler, "alice.localhost", "/hello", { headers: { "user-agent": ua } })).status).toBe(200);
    }
    const browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    expect(
      (
        await request(handler, "alice.localhost", "/hello", {
          headers: { "user-agent": browser, "if-none-match": etag },
        })
      ).status,
    ).toBe(304);
    expect(services.views.pendingFor(alice)).toBe(2); // the first GET and the 304
  });

  test("views are counted per day", async () => {
    const { handler, services, data, setNow } = await setup();
    await request(handler, "alice.localhost", "/hello");
    setNow("2026-06-02T00:01:00Z");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/hello");
    await settleViews(services);
    expect(stored(data, "alice")).toEqual({
      views: 3,
      daily: [
        { day: "2026-06-01", views: 1 },
        { day: "2026-06-02", views: 2 },
      ],
    });
  });

  test("evicting a blog from the pool loses none of its views, and adding them opens nothing in the pool", async () => {
    const { handler, services, data } = await setup(1);
    await request(handler, "alice.localhost", "/hello/comments", {
      method: "POST",
      body: new URLSearchParams({ name: "a", body: "b" }),
    });
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello/comments", {
      method: "POST",
      body: new URLSearchParams({ name: "a", body: "b" }),
    }); // evicts alice (cap 1)
    await request(handler, "bob.localhost", "/hello");
    expect(services.pool.peek(alice)).toBeUndefined();
    expect(services.pool.stats.evictions).toBeGreaterThan(0);
    await settleViews(services);
    expect(stored(data, "alice").views).toBe(1);
    expect(stored(data, "bob").views).toBe(1);
    expect(services.pool.peek(alice)).toBeUndefined(); // the flusher did not push readers' blogs out
  });

  test("a blog whose write fails keeps its views and is tried again; the others are written", async () => {
    const { handler, services, data } = await setup();
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello");
    const path = join(data, "tenants", "alice.db");
    const good = await Bun.file(path).arrayBuffer();
    writeFileSync(path, "garbage".repeat(1000));
    await settleViews(services);
    expect(stored(data, "bob").views).toBe(1);
    expect(services.views.pendingFor(alice)).toBe(1);
    writeFileSync(path, new Uint8Array(good));
    await settleViews(services);
    expect(stored(data, "alice").views).toBe(1);
    expect(services.views.pendingViews).toBe(0);
  });

  test("recording a view is cheap and needs no open database", async () => {
    const { services } = await setup();
    services.views.record(alice, 1);
    expect(services.pool.size).toBe(0);
    expect(services.registry.connections).toBe(0);
    expect(services.views.pendingFor(alice)).toBe(1);
  });
});

describe("the view counter", () => {
  test("keeps views by journal segment until each blog has them, and sums what is pending for the stats", () => {
    const views = new ViewCounter();
    views.record(alice, 1, Date.parse("2026-06-01T10:00:00Z"));
    views.record(alice, 1, Date.parse("2026-06-01T11:00:00Z"));
    views.record(bob, 2, Date.parse("2026-06-01T11:00:00Z"));
    const first = views.takeFresh()!;
    expect(views.takeFresh()).toBeNull();
    expect(views.unjournaledViews).toBe(0);
    views.journaled(1, first);
    views.record(alice, 3, Date.parse("2026-06-02T09:00:00Z"));
    views.journaled(2, views.takeFresh()!);
    views.record(alice, 1, Date.parse("2026-06-02T09:30:00Z")); // not journaled yet
    expect(views.pendingSegments()).toEqual([1, 2]);
    expect(views.blogsOf(1).sort()).toEqual([alice, bob]);
    expect(views.viewsOf(alice)).toEqual([
      { segment: 1, rows: [["2026-06-01", 1, 2]] },
      { segment: 2, rows: [["2026-06-02", 3, 1]] },
    ]);
    expect(views.viewsOf(alice, 1)).toEqual([{ segment: 1, rows: [["2026-06-01", 1, 2]] }]);
    expect(views.pendingRows(alice).sort()).toEqual([
      ["2026-06-01", 1, 2],
      ["2026-06-02", 1, 1],
      ["2026-06-02", 3, 1],
    ]);
    expect(views.pendingViews).toBe(5);
    views.settled(alice, [1, 2], 2);
    expect(views.isSettled(1)).toBe(false); // bob has not taken segment 1 yet
    expect(views.isSettled(2)).toBe(true);
    expect(views.rowsOf(1)).toEqual([[bob, "2026-06-01", 2, 1]]);
    views.drop(bob);
    expect(views.isSettled(1)).toBe(true);
    expect(views.pendingViews).toBe(1);
    expect(views.rowsWritten).toBe(2);
  });

  test("an append that failed puts its rows back with the next ones", () => {
    const views = new ViewCounter();
    views.record(alice, 1, 0);
    const rows = views.takeFresh()!;
    views.record(alice, 1, 1000);
    views.restoreFresh(rows);
    expect(views.takeFresh()).toEqual([[alice, "1970-01-01", 1, 2]]);
  });

  test("applyViews adds each segment to a blog once, in order, in one transaction", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const db = openBlogDatabase(path);
    const { id } = createPost(db, {
      title: "Hello",
      body: "x",
      status: "published",
      publishedAt: "2026-05-01T00:00:00Z",
    });
    const segment = (n: number, count: number) => ({
      segment: n,
      rows: [["2026-06-01", id, count]] as [string, number, number][],
    });
    expect(applyViews(db, "j1", [segment(1, 2)])).toBe(1);
    expect(applyViews(db, "j1", [segment(1, 2)])).toBe(0); // again: already taken
    expect(applyViews(db, "j1", [segment(1, 2), segment(2, 5)])).toBe(1); // only the new one
    expect(applyViews(db, "j2", [segment(1, 10)])).toBe(1); // another server's journal is its own
    expect(db.query("SELECT views FROM posts").get()).toEqual({ views: 17 });
    expect(db.query("SELECT journal, segment FROM views_applied ORDER BY journal").all()).toEqual([
      { journal: "j1", segment: 2 },
      { journal: "j2", segment: 1 },
    ]);
    // A failure in the middle takes nothing of the segment.
    db.run("CREATE TRIGGER refuse BEFORE INSERT ON daily_views BEGIN SELECT RAISE(ABORT, 'refused'); END");
    expect(() => applyViews(db, "j1", [segment(3, 1)])).toThrow("refused");
    expect(db.query("SELECT views FROM posts").get()).toEqual({ views: 17 });
    db.close();
  });
});
