// Rendered pages kept in memory and on disk: what keeps them, what drops them, and what cannot.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { addComment } from "../../src/blog/comments.ts";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, makeServer, request, tempDir } from "../helpers.ts";
import { HOST, signedInBrowser } from "./admin/admin.ts";

async function blogWithPost() {
  const data = tempDir();
  const path = await makeBlog(data, "alice");
  const db = openBlogDatabase(path);
  createPost(
    db,
    { title: "Hello", body: "First version.", status: "published", publishedAt: "2026-01-01T00:00:00Z" },
    new Date("2026-01-01T00:00:00Z"),
  );
  db.close();
  return { data, path };
}

/** As `writekit serve` stops: blogs closed, the page store written and closed. */
function stop(server: ReturnType<typeof makeServer>) {
  server.services.pool.closeAll();
  server.services.pages.store?.close();
}

describe("the page store across a restart", () => {
  test("a page rendered before a restart is answered after it from disk, without opening the blog", async () => {
    const { data } = await blogWithPost();
    const first = makeServer(data);
    const before = await (await request(first.handler, "alice.localhost", "/hello")).text();
    stop(first);
    const second = makeServer(data);
    const after = await request(second.handler, "alice.localhost", "/hello");
    expect(after.status).toBe(200);
    expect(await after.text()).toBe(before);
    expect(second.services.pages.storeHits).toBe(1);
    expect(second.services.registry.briefReads).toBe(0);
    // Asked for again, memory keeps it (a page looked at once is left to the store: PageCache).
    expect(await (await request(second.handler, "alice.localhost", "/hello")).text()).toBe(before);
    expect(second.services.pages.storeHits).toBe(2);
    expect(await (await request(second.handler, "alice.localhost", "/hello")).text()).toBe(before);
    expect(second.services.pages.hits).toBe(1);
    expect(second.services.registry.briefReads).toBe(0);
    stop(second);
  });

  test("a blog another program changed while the server was down is rendered again", async () => {
    const { data, path } = await blogWithPost();
    const first = makeServer(data);
    expect(await (await request(first.handler, "alice.localhost", "/hello")).text()).toContain("First version.");
    stop(first);
    const other = new Database(path);
    other.run("UPDATE posts SET html = '<p>Changed by sqlite3.</p>'");
    other.close();
    const second = makeServer(data);
    expect(await (await request(second.handler, "alice.localhost", "/hello")).text()).toContain("Changed by sqlite3.");
    expect(second.services.pages.storeHits).toBe(0);
    stop(second);
  });

  test("page views added to the blog by this server keep its stored pages", async () => {
    const { data } = await blogWithPost();
    const first = makeServer(data);
    await request(first.handler, "alice.localhost", "/hello");
    const { settleViews } = await import("../helpers.ts");
    await settleViews(first.services); // the Worker writes posts.views: not what pages show
    stop(first);
    const second = makeServer(data);
    await request(second.handler, "alice.localhost", "/hello");
    expect(second.services.pages.storeHits).toBe(1);
    stop(second);
  });
});

describe("what drops a blog's pages, and what does not", () => {
  test("approving a pending comment shows it on the cached post page at once", async () => {
    const { handler, db, b, csrf } = await signedInBrowser();
    const post = createPost(
      db(),
      { title: "Hello", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      new Date("2026-04-01T00:00:00Z"),
    );
    const id = addComment(db(), { postId: post.id, name: "Reader", body: "Waiting for approval", status: "pending" });
    // Cached while the comment waits.
    expect(await (await request(handler, HOST, `/${post.slug}`)).text()).not.toContain("Waiting for approval");
    expect(await (await request(handler, HOST, `/${post.slug}`)).text()).not.toContain("Waiting for approval");
    expect((await b.post("/admin/comments", { csrf, act: `approve:${id}` })).status).toBe(303);
    expect(await (await request(handler, HOST, `/${post.slug}`)).text()).toContain("Waiting for approval");
  });

  test("a flood of junk POSTs and junk query strings leaves the pages of real addresses cached", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const db = openBlogDatabase(path);
    for (let i = 1; i <= 3; i++)
      createPost(
        db,
        { title: `Post ${i}`, body: `Text ${i}.`, status: "published", publishedAt: "2026-01-01T00:00:00Z" },
        new Date("2026-01-01T00:00:00Z"),
      );
    updateSettings(db, { comment_policy: "moderate" });
    db.close();
    const { handler, services } = makeServer(data);
    services.peer = () => "203.0.113.5";
    const real = ["/", "/post-1", "/post-2", "/post-3", "/tags", "/feed.xml"];
    const readAll = async () => {
      for (const path of real) expect((await request(handler, "alice.localhost", path)).status).toBe(200);
    };
    await readAll(); // rendered
    await readAll(); // looked at again: from the store, and now kept in memory too
    const entries = services.pages.size;
    const hits = services.pages.hits;
    await readAll();
    expect(services.pages.hits).toBe(hits + real.length);
    // The flood: posts that write nothing, and addresses that vary without end.
    for (let i = 0; i < 50; i++) {
      await request(handler, "alice.localhost", `/x${i}`, { method: "POST", body: "junk" }); // 404
      await request(handler, "alice.localhost", "/post-1/comments", {
        method: "POST",
        body: new URLSearchParams({ name: "", body: "" }),
      }); // 400
      await request(handler, "alice.localhost", "/admin/settings", {
        method: "POST",
        body: new URLSearchParams({ title: "x" }),
      }); // signed out
      await request(handler, "alice.localhost", `/?x=${i}`); // the home page, under its own key
      await request(handler, "alice.localhost", `/post-2?utm_source=${i}&page=${i}`);
      await request(handler, "alice.localhost", `/no-such-post-${i}`); // 404: not kept
      await request(handler, "alice.localhost", `/search?q=${i % 10}`); // one character: not searched
      await request(handler, "alice.localhost", `/search?q=word${i}`); // kept apart from the pages
    }
    expect(services.pages.size).toBeLessThanOrEqual(entries + 60); // searches only, in their own small LRU
    const before = services.pages.hits;
    await readAll();
    expect(services.pages.hits).toBe(before + real.length); // every real page still cached
  });

  test("Host headers with endless ports render, but a blog keeps pages for a few origins only", async () => {
    const { data } = await blogWithPost();
    const { handler, services } = makeServer(data);
    for (let port = 1; port <= 20; port++)
      expect((await request(handler, `alice.localhost:${port}`, "/hello")).status).toBe(200);
    expect(services.pages.size).toBeLessThanOrEqual(4);
  });
});

describe("pages that are not kept", () => {
  test("a burst of 404s opens its blog into the pool once instead of once per request", async () => {
    const { data } = await blogWithPost();
    const server = makeServer(data);
    for (let i = 0; i < 30; i++) {
      const res = await request(server.handler, "alice.localhost", `/no-such-post-${i}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("There is no post at this address");
    }
    expect(server.services.pages.size).toBe(0); // 404s are not kept
    expect(server.services.registry.briefReads).toBeLessThan(5);
    expect(server.services.pool.names() as string[]).toEqual(["alice"]);
    expect(server.services.pool.stats.misses).toBe(1);
    // The pooled blog still shows what an author publishes.
    const db = server.services.pool.get(parseTenantName("alice")).db;
    createPost(
      db,
      {
        title: "Now here",
        body: "Written.",
        slug: "no-such-post-0",
        status: "published",
        publishedAt: "2026-01-01T00:00:00Z",
      },
      new Date("2026-01-01T00:00:00Z"),
    );
    server.services.pages.invalidate(parseTenantName("alice"));
    const now = await request(server.handler, "alice.localhost", "/no-such-post-0");
    expect(now.status).toBe(200);
    expect(await now.text()).toContain("Now here");
    stop(server);
  });
});
