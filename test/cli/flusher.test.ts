import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { flushViews, ViewWriter } from "../../src/cli/flusher.ts";
import { onBlogFileChanged } from "../../src/cli/serve.ts";
import { writeClosedBlog } from "../../src/cli/views-worker.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { fileFingerprint, Pool } from "../../src/tenants/pool.ts";
import { makeApp, makeBlog, request, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

const alice = parseTenantName("alice");
const bob = parseTenantName("bob");

async function setup() {
  const data = tempDir();
  await makeBlog(data, "alice");
  await makeBlog(data, "bob");
  const { app, services } = makeApp(data, { maxOpen: 1 });
  for (const name of [alice, bob]) createPost(services.pool.get(name).db, { title: "Hello", body: "x", status: "published", publishedAt: "2026-05-01T00:00:00Z" });
  return { data, app, services };
}

function storedViews(data: string, name: string): number {
  const db = new Database(join(data, "tenants", `${name}.db`), { readonly: true });
  const views = (db.query("SELECT views FROM posts WHERE slug = 'hello'").get() as { views: number }).views;
  db.close();
  return views;
}

describe("the view flusher's Worker", () => {
  test("writes closed blogs' views on its own thread, and their cached pages survive its file events", async () => {
    const { app, services, data } = await setup();
    await request(app, "alice.localhost", "/hello");
    await request(app, "alice.localhost", "/hello"); // the second answer came from the page cache
    await request(app, "bob.localhost", "/hello"); // alice is closed now (cap 1)
    expect(services.pool.peek(alice)).toBeUndefined();
    const writer = new ViewWriter(services);
    try {
      flushViews(services, { writer, batch: 10 });
      expect(writer.isBusy).toBe(true);
      expect(storedViews(data, "bob")).toBe(1); // open: written here at once
      onBlogFileChanged(services, alice); // an event while the Worker has alice: not someone else's change
      await writer.idle();
      expect(storedViews(data, "alice")).toBe(2);
      expect(services.views.pendingViews).toBe(0);
      expect(services.views.rowsWritten).toBe(2);
      onBlogFileChanged(services, alice); // the Worker's own events, arriving late
      const hits = services.pages.hits;
      expect((await request(app, "alice.localhost", "/hello")).status).toBe(200);
      expect(services.pages.hits).toBe(hits + 1); // still cached: nothing but views changed
    } finally {
      await writer.stop();
    }
  });

  test("a blog the Worker cannot write keeps its views, and is then written by the server's pool", async () => {
    const { app, services, data } = await setup();
    await request(app, "alice.localhost", "/hello");
    await request(app, "bob.localhost", "/hello");
    const path = join(data, "tenants", "alice.db");
    const good = await Bun.file(path).arrayBuffer();
    writeFileSync(path, "garbage".repeat(1000));
    const writer = new ViewWriter(services);
    try {
      flushViews(services, { writer, batch: 10 });
      await writer.idle();
      expect(services.views.pendingFor(alice)).toBe(1);
      expect(writer.retryHere.has(alice)).toBe(true);
      flushViews(services, { writer, batch: 10 }); // the pool says unavailable: still kept
      expect(services.views.pendingFor(alice)).toBe(1);
      writeFileSync(path, new Uint8Array(good));
      flushViews(services, { writer, batch: 10 });
      expect(writer.isBusy).toBe(false); // written here, not sent to the Worker again
      expect(storedViews(data, "alice")).toBe(1);
      expect(writer.retryHere.size).toBe(0);
    } finally {
      await writer.stop();
    }
  });

  test("a Worker that fails keeps every view pending, and after three failures in a row the server writes closed blogs itself", async () => {
    const { app, services, data } = await setup();
    await request(app, "alice.localhost", "/hello");
    await request(app, "bob.localhost", "/hello");
    const writer = new ViewWriter(services, new URL("../fixtures/crashing-views-worker.ts", import.meta.url));
    try {
      for (let i = 0; i < 3; i++) {
        expect(writer.isAvailable).toBe(true);
        writer.retryHere.clear(); // as if alice had been written fine since
        flushViews(services, { writer, batch: 10 });
        expect(writer.isBusy).toBe(true);
        await writer.idle();
        expect(services.views.pendingFor(alice)).toBe(1);
      }
      expect(writer.isAvailable).toBe(false);
      flushViews(services, { writer, batch: 10 });
      expect(writer.isBusy).toBe(false);
      expect(storedViews(data, "alice")).toBe(1);
    } finally {
      await writer.stop();
    }
  });

  test("its report tells the files before and after and whether anyone else committed", async () => {
    const { services, data } = await setup();
    services.pool.closeAll();
    const path = join(data, "tenants", "alice.db");
    const before = fileFingerprint(path);
    const result = writeClosedBlog(data, alice, { since: 0, rows: [["2026-06-01", 1, 3]] });
    expect(result).toMatchObject({ ok: true, report: { before, foreign: false } });
    expect(result.ok && result.report.after).toBe(fileFingerprint(path));
    expect(result.ok && result.report.after).not.toBe(before);
    expect(storedViews(data, "alice")).toBe(3);
    expect(writeClosedBlog(data, parseTenantName("nobody"), { since: 0, rows: [] })).toMatchObject({ ok: false, error: "the blog no longer exists" });
  });
});

describe("lending a closed blog to the Worker", () => {
  async function closedPool() {
    const data = tempDir();
    await makeBlog(data, "alice");
    const pool = new Pool({ dataDir: data, maxOpen: 2 });
    pool.get(alice);
    pool.close(alice);
    const changes: string[] = [];
    pool.onChangedElsewhere((name) => changes.push(name));
    return { pool, changes, path: join(data, "tenants", "alice.db") };
  }

  test("a write that found the files as the pool left them is the server's own", async () => {
    const { pool, changes, path } = await closedPool();
    const before = fileFingerprint(path);
    pool.lend(alice);
    const db = new Database(path);
    db.run("UPDATE posts SET views = views + 1");
    db.close();
    expect(pool.changedElsewhere(alice)).toBe(false); // lent: the files moving is expected
    pool.giveBack(alice, { before, after: fileFingerprint(path), foreign: false });
    expect(changes).toEqual([]);
    expect(pool.changedElsewhere(alice)).toBe(false);
  });

  test("files changed before the write, a commit by someone else during it, or a failed write are reported", async () => {
    for (const report of [
      (after: string) => ({ before: "someone wrote first", after, foreign: false }),
      (after: string) => ({ before: "", after, foreign: true }),
      () => null,
    ]) {
      const { pool, changes, path } = await closedPool();
      const before = fileFingerprint(path);
      pool.lend(alice);
      const r = report(fileFingerprint(path));
      pool.giveBack(alice, r && r.before === "" ? { ...r, before } : r);
      expect(changes).toEqual([alice]);
    }
  });
});
