import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeServer, makeBlog, request, tempDir } from "../helpers.ts";

describe("the instance and Host routing over HTTP", () => {
  test("/healthz answers 200 with JSON on any host", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { handler } = makeServer(data);
    for (const host of ["localhost:3000", "alice.localhost:3000", "127.0.0.1"]) {
      const r = await request(handler, host, "/healthz");
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ status: "ok", blogs: 1, open: 0 });
    }
  });

  test("/healthz answers 503 when the data directory is not usable", async () => {
    const data = tempDir();
    writeFileSync(join(data, "tenants"), "a file where the directory should be");
    const { handler } = makeServer(data);
    const r = await request(handler, "localhost", "/healthz");
    expect(r.status).toBe(503);
    expect((await r.json()).status).toBe("unavailable");
  });

  test("the bare domain shows how to create the first blog while there is none", async () => {
    const data = tempDir();
    const { handler } = makeServer(data);
    const r = await request(handler, "localhost:3000", "/");
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain("writekit tenant create myblog --email you@example.com");
    expect(html).toContain("http://myblog.localhost:3000/");
    await makeBlog(data, "alice");
    expect(await (await request(handler, "localhost:3000", "/")).text()).toContain("hosts 1 blog");
  });

  test("a blog's Host gets its page with its title in the layout", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice <writes> & more" });
    const { handler } = makeServer(data);
    const r = await request(handler, "alice.localhost:3000", "/");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    const html = await r.text();
    expect(html).toContain("<title>Alice &lt;writes&gt; &amp; more</title>");
    expect(html).toContain('type="application/atom+xml"');
    // Attribute values may hold "<" safely; outside them it must be escaped.
    expect(html.replace(/"[^"]*"/g, '""')).not.toContain("<writes>");
    expect(html).toContain("Alice &lt;writes&gt; &amp; more</a>");
  });

  test("an unknown blog is a 404 page and no file appears", async () => {
    const data = tempDir();
    const { handler } = makeServer(data);
    const r = await request(handler, "nobody.localhost:3000", "/");
    expect(r.status).toBe(404);
    expect(await r.text()).toContain("no blog named");
    expect(existsSync(join(data, "tenants", "nobody.db"))).toBe(false);
  });

  test.each(["a..b", "alice.localhost:port", "x y", ""])("a malformed Host %p is a 400 page", async (host) => {
    const { handler } = makeServer(tempDir());
    const r = await request(handler, host, "/");
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("Bad request");
  });

  test("a corrupt blog answers 503 alone; the others keep answering", async () => {
    const data = tempDir();
    await makeBlog(data, "good");
    await makeBlog(data, "broken");
    writeFileSync(join(data, "tenants", "broken.db"), "not sqlite".repeat(500));
    const { handler } = makeServer(data);
    const bad = await request(handler, "broken.localhost", "/");
    expect(bad.status).toBe(503);
    expect(bad.headers.get("retry-after")).toBeTruthy();
    const text = await bad.text();
    expect(text).toContain("Blog unavailable");
    expect(text).not.toContain("    at ");
    expect((await request(handler, "good.localhost", "/")).status).toBe(200);
  });

  test("the stylesheet is served with a long cache lifetime", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { handler } = makeServer(data);
    const html = await (await request(handler, "alice.localhost", "/")).text();
    const href = /href="(\/assets\/style-[a-z0-9]+\.css)"/.exec(html)![1];
    const css = await request(handler, "alice.localhost", href);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(css.headers.get("cache-control")).toContain("max-age=31536000");
  });

  test("an unknown path on a blog is a 404 in the blog's own layout", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice's notes" });
    const { handler } = makeServer(data);
    const r = await request(handler, "alice.localhost", "/no/such/page");
    expect(r.status).toBe(404);
    expect(await r.text()).toContain("Alice&#x27;s notes");
  });
});
