import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { ViewFlusher } from "../../src/server/flusher.ts";
import { journalDir, parseSegment } from "../../src/server/journal.ts";
import { applyToBlog } from "../../src/server/views-worker.ts";
import { BlogWatcher } from "../../src/server/watcher.ts";
import { fileFingerprint } from "../../src/tenants/changes.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { BUN, flusherOf, makeBlog, makeServer, REPO, request, settleViews, tempDir } from "../helpers.ts";

const alice = parseTenantName("alice");
const bob = parseTenantName("bob");

async function blogsWithPost(data: string, names: string[]) {
  for (const name of names) {
    const path = await makeBlog(data, name);
    const db = openBlogDatabase(path);
    createPost(db, { title: "Hello", body: "x", status: "published", publishedAt: "2026-05-01T00:00:00Z" });
    db.close();
  }
}

async function setup() {
  const data = tempDir();
  await blogsWithPost(data, ["alice", "bob"]);
  const { handler, services } = makeServer(data);
  return { data, handler, services };
}

function storedViews(data: string, name: string): number {
  const db = new Database(join(data, "tenants", `${name}.db`), { readonly: true });
  db.run("PRAGMA busy_timeout = 5000"); // the server may be reading it alone for a moment
  const views = (db.query("SELECT coalesce(sum(views), 0) AS n FROM posts").get() as { n: number }).n;
  db.close();
  return views;
}

function segmentFiles(data: string): string[] {
  return readdirSync(journalDir(data))
    .filter((f) => f.endsWith(".log"))
    .sort();
}

function journaledViews(data: string): number {
  let n = 0;
  for (const file of segmentFiles(data))
    for (const row of parseSegment(readFileSync(join(journalDir(data), file), "utf8")).rows) n += row[3];
  return n;
}

describe("the view flusher", () => {
  test("appends views to the journal each interval; a closed segment's views go to the blogs and its file is removed", async () => {
    const { handler, services, data } = await setup();
    const flusher = new ViewFlusher(services, { journalEveryMs: 0 });
    flusher.start();
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello");
    expect(services.views.unjournaledViews).toBe(3);
    flusher.tick();
    await flusher.idle();
    expect(services.views.unjournaledViews).toBe(0);
    expect(journaledViews(data)).toBe(3);
    expect(storedViews(data, "alice")).toBe(0); // journaled, not yet in the blog
    await flusher.settle();
    expect([storedViews(data, "alice"), storedViews(data, "bob")]).toEqual([2, 1]);
    expect(segmentFiles(data).length).toBe(1); // only the new, current segment
    expect(journaledViews(data)).toBe(0);
    expect(services.views.rowsWritten).toBe(2);
    await flusher.stop();
  });

  test("the Worker's own writes keep a blog's cached pages; someone else's write drops them", async () => {
    const { handler, services, data } = await setup();
    const watcher = new BlogWatcher(services);
    try {
      await request(handler, "alice.localhost", "/hello");
      await settleViews(services);
      watcher.changed(alice); // the Worker's file events, arriving late
      // Answered from memory or the page store: not rendered again.
      const answered = () => services.pages.hits + services.pages.storeHits;
      const hits = answered();
      expect((await request(handler, "alice.localhost", "/hello")).status).toBe(200);
      expect(answered()).toBe(hits + 1); // still cached: nothing but views changed
      const other = new Database(join(data, "tenants", "alice.db"));
      other.run("UPDATE posts SET title = 'Changed elsewhere'");
      other.close();
      watcher.changed(alice);
      expect(await (await request(handler, "alice.localhost", "/hello")).text()).toContain("Changed elsewhere");
    } finally {
      watcher.stop();
    }
  });

  test("a Worker that fails keeps every view pending, and after three failures in a row the server writes the blogs itself", async () => {
    const { handler, services, data } = await setup();
    const flusher = flusherOf(services, {
      workerUrl: new URL("../fixtures/crashing-views-worker.ts", import.meta.url),
    });
    await request(handler, "alice.localhost", "/hello");
    for (let i = 0; i < 3; i++) {
      expect(flusher.isWorkerAvailable).toBe(true);
      await flusher.settle().catch(() => {});
      expect(services.views.pendingFor(alice)).toBe(1);
    }
    expect(flusher.isWorkerAvailable).toBe(false);
    await flusher.settle();
    expect(storedViews(data, "alice")).toBe(1);
    expect(services.views.pendingViews).toBe(0);
  });

  test("a blog deleted while its views wait: they are dropped, and the others are written", async () => {
    const { handler, services, data } = await setup();
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello");
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(data, "tenants", `alice.db${suffix}`), { force: true });
    await settleViews(services);
    expect(services.views.pendingViews).toBe(0);
    expect(storedViews(data, "bob")).toBe(1);
  });

  test("the Worker's report tells the files before and after and whether anyone else committed", async () => {
    const { data } = await setup();
    const path = join(data, "tenants", "alice.db");
    const before = fileFingerprint(path);
    const result = applyToBlog(data, "journal", alice, [{ segment: 1, rows: [["2026-06-01", 1, 3]] }]);
    expect(result).toMatchObject({ ok: true, rows: 1, report: { before, foreign: false } });
    expect(result.ok && result.report.after).toBe(fileFingerprint(path));
    expect(storedViews(data, "alice")).toBe(3);
    expect(applyToBlog(data, "journal", parseTenantName("nobody"), [])).toMatchObject({ ok: false, gone: true });
  });
});

describe("stopping and starting again", () => {
  test("a stop appends what is left to the journal and writes no blog; the next start adds the views, once", async () => {
    const { handler, services, data } = await setup();
    const flusher = flusherOf(services);
    for (let i = 0; i < 5; i++) await request(handler, "alice.localhost", "/hello");
    await request(handler, "bob.localhost", "/hello");
    await flusher.stop();
    expect(journaledViews(data)).toBe(6);
    expect(storedViews(data, "alice")).toBe(0);
    // The next server on the same data directory.
    const next = makeServer(data);
    await settleViews(next.services);
    expect([storedViews(data, "alice"), storedViews(data, "bob")]).toEqual([5, 1]);
    // And the one after that finds nothing left to add.
    const third = makeServer(data);
    await settleViews(third.services);
    expect([storedViews(data, "alice"), storedViews(data, "bob")]).toEqual([5, 1]);
  });

  test("after a start, views a previous run left wait while readers are answered, and go once a tick finds the server idle", async () => {
    for (const [quietMs, writtenWhileBusy] of [
      [60_000, 0],
      [0, 3],
    ] as const) {
      const { handler, services, data } = await setup();
      const first = flusherOf(services);
      for (let i = 0; i < 3; i++) await request(handler, "alice.localhost", "/hello");
      await first.stop();
      expect(journaledViews(data)).toBe(3);
      const next = makeServer(data);
      const flusher = new ViewFlusher(next.services, { journalEveryMs: 60_000, startQuietMs: quietMs });
      flusher.start();
      await request(next.handler, "bob.localhost", "/hello");
      await new Promise((resolve) => setImmediate(resolve)); // an answer is counted once it is sent
      flusher.tick(); // readers were answered since the last tick
      await flusher.idle();
      expect({ quietMs, views: storedViews(data, "alice") }).toEqual({ quietMs, views: writtenWhileBusy });
      flusher.tick(); // nothing answered since: idle
      await flusher.idle();
      expect({ quietMs, views: storedViews(data, "alice") }).toEqual({ quietMs, views: 3 });
      await flusher.stop();
      next.services.pool.closeAll();
    }
  });

  test("a journal left by a kill is added once, never twice, even when some blogs had taken it; a line cut short is skipped", async () => {
    const data = tempDir();
    await blogsWithPost(data, ["alice", "bob"]);
    const first = makeServer(data);
    const flusher = new ViewFlusher(first.services, { journalEveryMs: 0 });
    flusher.start();
    for (let i = 0; i < 4; i++) await request(first.handler, "alice.localhost", "/hello");
    for (let i = 0; i < 2; i++) await request(first.handler, "bob.localhost", "/hello");
    flusher.tick();
    await flusher.idle();
    const [segment] = segmentFiles(data);
    // Alice took the segment before the kill; bob did not, and the segment file stayed.
    const segmentNumber = Number(segment.replace(".log", ""));
    expect(
      applyToBlog(data, flusher.journalId, alice, [{ segment: segmentNumber, rows: [["2026-06-01", 1, 4]] }]),
    ).toMatchObject({ ok: true, rows: 1 });
    // The kill came in the middle of the next append.
    appendFileSync(join(journalDir(data), segment), '[["alice","2026-06-01",1,1000],["bo');
    // (no stop: as after kill -9)
    const next = makeServer(data);
    await settleViews(next.services);
    expect([storedViews(data, "alice"), storedViews(data, "bob")]).toEqual([4, 2]);
    expect(existsSync(join(journalDir(data), segment))).toBe(false);
  });

  test("`writekit serve` stopped under a load spread over many blogs exits within 5 s, and loses no view", async () => {
    const data = tempDir();
    const names = Array.from({ length: 40 }, (_, i) => `blog${i}`);
    await blogsWithPost(data, names);
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    const start = () =>
      Bun.spawn(
        [BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"],
        { stdout: "pipe", stderr: "pipe" },
      );
    const ready = async () => {
      for (let i = 0; i < 400; i++) {
        if (
          await fetch(`http://127.0.0.1:${port}/healthz`)
            .then((r) => r.ok)
            .catch(() => false)
        )
          return;
        await Bun.sleep(50);
      }
      throw new Error("serve did not start");
    };
    let proc = start();
    await ready();
    let answered = 0;
    let stopping = false;
    const reader = async (k: number) => {
      for (let i = 0; !stopping; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/hello`, {
          headers: { host: `${names[(k * 7 + i) % names.length]}.localhost` },
        }).catch(() => null);
        if (r?.status === 200) answered++;
        await r?.arrayBuffer();
      }
    };
    const readers = Array.from({ length: 8 }, (_, k) => reader(k));
    while (answered < 600) await Bun.sleep(20);
    const stopped = performance.now();
    proc.kill("SIGTERM");
    const code = await proc.exited;
    const seconds = (performance.now() - stopped) / 1000;
    stopping = true;
    await Promise.all(readers);
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(5);
    // Every answered post page is in the journal, and the next start puts each into its blog.
    expect(journaledViews(data)).toBe(answered);
    proc = start();
    await ready();
    const total = () => names.reduce((n, name) => n + storedViews(data, name), 0);
    for (let i = 0; i < 300 && total() < answered; i++) await Bun.sleep(100);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(total()).toBe(answered);
  }, 60_000);
});
