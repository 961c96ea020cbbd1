import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { readdirSync } from "node:fs";
import { answerGarbageCollector, fullCollectionEvery } from "../../src/server/gc.ts";
import { createPost } from "../../src/blog/posts.ts";
import { createHandler } from "../../src/app.ts";
import { createServices } from "../../src/server/services.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { PageCache } from "../../src/web/pagecache.ts";
import { BUN, cli, makeServer, makeBlog, REPO, request, tempDir, testConfig } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** `writekit serve` from source on 127.0.0.1:`port`, once /healthz answers (or after 20 s). */
async function startServe(data: string, port: number) {
  const proc = Bun.spawn(
    [BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"],
    { stdout: "pipe", stderr: "pipe" },
  );
  for (let i = 0; i < 400; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await Bun.sleep(50);
  }
  return proc;
}

describe("writekit serve", () => {
  test("on a new, empty data directory it says it has no blogs, where it looked, and how to make one; with blogs it does not", async () => {
    const data = join(tempDir(), "new-instance");
    const port = await freePort();
    const proc = await startServe(data, port);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const said = await new Response(proc.stdout).text();
    expect(said).toContain(`No blogs yet: nothing in ${join(data, "tenants")}.`);
    expect(said).toContain(`Create one with: writekit tenant create NAME --data ${data}`);
    await makeBlog(data, "alice");
    const again = await startServe(data, port);
    again.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    expect(await new Response(again.stdout).text()).not.toContain("No blogs yet");
  }, 60_000);

  test("serves blogs by Host and exits 0 on SIGTERM", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice served" });
    const port = await freePort();
    const proc = Bun.spawn(
      [BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"],
      { stdout: "pipe", stderr: "pipe" },
    );
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (!health) await Bun.sleep(50);
    }
    expect(health?.status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { host: `alice.localhost:${port}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Alice served");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  test("a blog deleted or changed by the CLI while serve runs is seen at once, pages included", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice served" });
    await makeBlog(data, "bob", { title: "Bob stays" });
    const port = await freePort();
    const proc = Bun.spawn(
      [BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const get = (blog: string) =>
      fetch(`http://127.0.0.1:${port}/`, { headers: { host: `${blog}.localhost:${port}` } }).catch(() => undefined);
    /** Polls a few seconds at most: the change reaches the server through inotify. */
    const eventually = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 200; i++) {
        if (await check()) return true;
        await Bun.sleep(30);
      }
      return false;
    };
    try {
      expect(await eventually(async () => (await get("alice"))?.status === 200)).toBe(true);
      expect(await (await get("alice"))!.text()).toContain("Alice served"); // now cached, its handle open
      // Another process writes to the open, cached blog (an import of one Markdown post).
      const dir = tempDir();
      await Bun.write(join(dir, "hello.md"), "---\ntitle: Imported while serving\ndate: 2026-01-02\n---\nHi.\n");
      expect((await cli(["import", "alice", dir, "--data", data])).code).toBe(0);
      expect(
        await eventually(async () => (await (await get("alice"))?.text())?.includes("Imported while serving") ?? false),
      ).toBe(true);
      // And deletes it: the server lets go of the file and answers 404, creating nothing.
      expect((await cli(["tenant", "delete", "alice", "--yes", "--data", data])).code).toBe(0);
      expect(await eventually(async () => (await get("alice"))?.status === 404)).toBe(true);
      expect(readdirSync(join(data, "tenants")).filter((f) => f.startsWith("alice"))).toEqual([]);
      expect((await get("bob"))?.status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  });

  test("answered requests' garbage is collected young while the server answers, never while it is idle", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { handler, services } = makeServer(data);
    const collections: boolean[] = [];
    const tick = answerGarbageCollector({
      answered: () => services.metrics.requestsAnswered,
      released: () => services.pages.releasedBytes,
      fullEveryBytes: services.pages.budgetBytes / 2,
      collect: (full) => collections.push(full),
    });
    tick();
    expect(collections).toEqual([]); // nothing answered yet
    await request(handler, "alice.localhost", "/");
    await new Promise((resolve) => setImmediate(resolve)); // Elysia counts the answer after sending it
    tick();
    expect(collections).toEqual([false]); // a young-generation collection, not a full one
    tick();
    expect(collections).toEqual([false]); // idle again
  });

  test("a full collection follows once the page cache has let go of half its budget in pages", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    // A page cache of 40 KB: a few pages fill it, and each new one pushes an old one out.
    const services = createServices(testConfig(data), { pages: new PageCache(40_000) });
    const handler = createHandler(services);
    const db = services.pool.get(parseTenantName("alice")).db;
    const slugs = Array.from(
      { length: 30 },
      (_, i) =>
        createPost(db, {
          title: `Post ${i}`,
          body: "Words. ".repeat(400),
          status: "published",
          publishedAt: "2026-01-01T00:00:00Z",
        }).slug,
    );
    const collections: boolean[] = [];
    let clock = 0;
    const tick = answerGarbageCollector({
      answered: () => services.metrics.requestsAnswered,
      released: () => services.pages.releasedBytes,
      fullEveryBytes: services.pages.budgetBytes / 2,
      collect: (full) => collections.push(full),
      now: () => clock,
    });
    expect((await request(handler, "alice.localhost", `/${slugs[0]}`)).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    tick();
    expect(collections).toEqual([false]); // one page kept, nothing let go of: young only
    for (const slug of slugs) expect((await request(handler, "alice.localhost", `/${slug}`)).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(services.pages.releasedBytes).toBeGreaterThanOrEqual(20_000);
    tick();
    expect(collections).toEqual([false, true]); // pages were let go of: a full collection
    tick();
    expect(collections).toEqual([false, true]); // idle, and nothing more let go of
    // As many pages let go of again within the second (the blog changed): no full collection
    // until the second has passed.
    const before = services.pages.releasedBytes;
    services.pages.invalidate(parseTenantName("alice"));
    expect(services.pages.releasedBytes - before).toBeGreaterThanOrEqual(20_000);
    clock += 500;
    tick();
    expect(collections).toEqual([false, true]);
    clock += 500;
    tick();
    expect(collections).toEqual([false, true, true]);
  });

  test("rendered pages are written to the page store by its Worker, and a restarted server answers from it", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice stored" });
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const metric = async (name: string) => {
      const text = await fetch(`${origin}/metrics`).then((r) => r.text());
      return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    };
    const start = () => startServe(data, port);
    const home = () => fetch(`${origin}/`, { headers: { host: "alice.localhost" } });
    const first = await start();
    let body: string;
    try {
      const r = await home();
      expect(r.status).toBe(200);
      body = await r.text();
      expect(body).toContain("Alice stored");
      for (let i = 0; i < 400 && !((await metric("writekit_page_store_bytes")) > 0); i++) await Bun.sleep(25);
      expect(await metric("writekit_page_store_bytes")).toBeGreaterThan(0);
      // Rendered right before the stop: still queued, written by the shutdown.
      expect((await fetch(`${origin}/feed.xml`, { headers: { host: "alice.localhost" } })).status).toBe(200);
    } finally {
      first.kill("SIGTERM");
    }
    expect(await first.exited).toBe(0);
    expect(await new Response(first.stdout).text()).not.toContain("could not be written");
    expect(await new Response(first.stderr).text()).not.toContain("could not be written");
    const second = await start();
    try {
      const r = await home();
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(body);
      expect((await fetch(`${origin}/feed.xml`, { headers: { host: "alice.localhost" } })).status).toBe(200);
      expect(await metric("writekit_page_store_hits_total")).toBe(2);
      expect(await metric("writekit_blog_brief_reads_total")).toBe(0);
    } finally {
      second.kill("SIGTERM");
    }
    expect(await second.exited).toBe(0);
  });

  test("full collections come every half page cache's budget of pages let go of, and never more often than every 16 MB", () => {
    const MB = 1024 * 1024;
    expect(fullCollectionEvery(32 * MB)).toBe(16 * MB);
    expect(fullCollectionEvery(256 * MB)).toBe(128 * MB);
    expect(fullCollectionEvery(1 * MB)).toBe(16 * MB); // --page-cache-mb 1 must not collect on every tick
  });

  test("bad flags are refused with a clear message", async () => {
    for (const [args, message] of [
      [["--port", "abc"], "--port must be a whole number"],
      [["--max-open", "0"], "--max-open must be between"],
      [["--page-cache-mb", "0"], "--page-cache-mb must be between 1 and"],
      [["--page-cache-mb", "1e3"], '--page-cache-mb must be a whole number, got "1e3"'],
      [["--log-format", "xml"], "--log-format"],
      [["--domain", "bad domain"], "not a valid host name"],
    ] as const) {
      const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "serve", ...args, "--data", tempDir()], {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await proc.exited).toBe(2);
      expect(await new Response(proc.stderr).text()).toContain(message);
    }
  });
});
