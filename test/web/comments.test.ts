import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { addComment } from "../../src/blog/comments.ts";
import { MAX_PENDING_COMMENTS } from "../../src/blog/moderation.ts";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeServer, makeBlog, request, tempDir } from "../helpers.ts";

const HOST = "alice.localhost";

async function setup(policy?: "moderate" | "approve" | "off", peer = "203.0.113.9") {
  const data = tempDir();
  await makeBlog(data, "alice");
  const { handler, services } = makeServer(data);
  let now = new Date("2026-05-01T10:00:00Z");
  services.now = () => now;
  services.peer = () => peer;
  const db = services.pool.get(parseTenantName("alice")).db;
  if (policy) updateSettings(db, { comment_policy: policy });
  createPost(db, { title: "Hello", body: "Post body", status: "published", publishedAt: "2026-04-01T00:00:00Z" }, now);
  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    request(handler, HOST, "/hello/comments", { method: "POST", body: new URLSearchParams(fields), headers });
  return { handler, services, db, data, post, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

function rows(data: string) {
  const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
  const r = db.query("SELECT author_name, author_email, body, status FROM comments ORDER BY id").all();
  db.close();
  return r as any[];
}

describe("reader comments", () => {
  test("a comment is committed before the answer and held for moderation by default", async () => {
    const { handler, post, data } = await setup();
    const r = await post({ name: "Bob", email: "bob@example.com", body: "Nice post!" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/hello?comment=pending#comments");
    // Read from another connection: it is on disk already.
    expect(rows(data)).toEqual([
      { author_name: "Bob", author_email: "bob@example.com", body: "Nice post!", status: "pending" },
    ]);
    const page = await (await request(handler, HOST, "/hello?comment=pending")).text();
    expect(page).toContain("awaits moderation");
    expect(page).not.toContain("Nice post!");
  });

  test("with the approve policy it shows at once, as escaped text with paragraphs and safe links", async () => {
    const { handler, post } = await setup("approve");
    expect(
      (
        await post({
          name: "<b>Eve</b>",
          body: "First <script>alert(1)</script>\n\nSee https://example.com/x. and javascript:alert(1)",
        })
      ).headers.get("location"),
    ).toBe("/hello?comment=published#comments");
    const html = await (await request(handler, HOST, "/hello")).text();
    expect(html).toContain("1 comment");
    expect(html).toContain("&lt;b&gt;Eve&lt;/b&gt;");
    expect(html).toContain("First &lt;script&gt;alert(1)&lt;/script&gt;</p><p>See");
    expect(html).toContain('<a href="https://example.com/x" rel="nofollow ugc noopener">https://example.com/x</a>.');
    expect(html).not.toContain('href="javascript');
  });

  test("with comments off there is no form and a post is refused", async () => {
    const { handler, post, data } = await setup("off");
    expect(await (await request(handler, HOST, "/hello")).text()).toContain("Comments are closed");
    expect((await post({ name: "Bob", body: "hi" })).status).toBe(403);
    expect(rows(data)).toEqual([]);
  });

  test("a bad form re-shows the post with what was typed and a message beside each field", async () => {
    const { post, data } = await setup();
    const r = await post({ name: "  ", email: "not-an-email", body: "My <em>kept</em> text" });
    expect(r.status).toBe(400);
    const html = await r.text();
    expect(html).toContain("Please give a name");
    expect(html).toContain("does not look like an email address");
    expect(html).toContain("My &lt;em&gt;kept&lt;/em&gt; text</textarea>");
    expect(rows(data)).toEqual([]);
  });

  test("missing fields and oversized input get a 400 or 413 page, not a 500", async () => {
    const { post, handler } = await setup();
    const missing = await post({ email: "x@example.com" });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("not valid");
    expect((await post({ name: "Bob", body: "x".repeat(60_000) })).status).toBe(400);
    const huge = await request(handler, HOST, "/hello/comments", {
      method: "POST",
      body: "x".repeat(3 * 1024 * 1024),
      headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(3 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect(
      (
        await request(handler, HOST, "/nothing/comments", {
          method: "POST",
          body: new URLSearchParams({ name: "a", body: "b" }),
        })
      ).status,
    ).toBe(404);
  });

  test("the honeypot field silently drops scripted comments", async () => {
    const { post, data } = await setup();
    const r = await post({ name: "Bot", body: "Buy now", website: "http://spam.example" });
    expect(r.status).toBe(303);
    expect(rows(data)).toEqual([]);
  });

  test("a client is rate limited per blog with 429 and Retry-After, and may comment again later", async () => {
    const { post, advance, data } = await setup();
    for (let i = 0; i < 5; i++) expect((await post({ name: "Bob", body: `c${i}` })).status).toBe(303);
    const limited = await post({ name: "Bob", body: "one more" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.text()).toContain("try again in");
    expect(rows(data)).toHaveLength(5);
    advance(11 * 60 * 1000);
    expect((await post({ name: "Bob", body: "later" })).status).toBe(303);
  });

  test("X-Forwarded-For is believed only from a trusted proxy", async () => {
    // The direct peer is a configured trusted proxy (none is by default): each forwarded client has its own limit.
    const proxied = await setup(undefined, "127.0.0.1");
    proxied.services.config.trustedProxies = ["127.0.0.1"];
    for (let i = 0; i < 5; i++) await proxied.post({ name: "A", body: `a${i}` }, { "x-forwarded-for": "198.51.100.1" });
    expect((await proxied.post({ name: "A", body: "a6" }, { "x-forwarded-for": "198.51.100.1" })).status).toBe(429);
    expect((await proxied.post({ name: "B", body: "b1" }, { "x-forwarded-for": "198.51.100.2" })).status).toBe(303);
    // From an untrusted peer, a spoofed header changes nothing: the peer is the client.
    const direct = await setup(undefined, "203.0.113.50");
    for (let i = 0; i < 5; i++) await direct.post({ name: "C", body: `c${i}` }, { "x-forwarded-for": `10.0.0.${i}` });
    expect((await direct.post({ name: "C", body: "c6" }, { "x-forwarded-for": "10.0.0.99" })).status).toBe(429);
  });

  test("a blog with a full moderation queue refuses new comments with a clear 429, keeps what waits, and still takes them when they need no moderation", async () => {
    const { post, db, data } = await setup();
    db.transaction(() => {
      for (let i = 0; i < MAX_PENDING_COMMENTS; i++)
        addComment(db, { postId: 1, name: `Bot ${i}`, body: "spam", status: "pending" });
    })();
    const r = await post({ name: "Real reader", body: "A real comment" });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("3600");
    const html = await r.text();
    expect(html).toContain("The comment queue is full");
    expect(html).toContain(`${MAX_PENDING_COMMENTS} comments are already waiting`);
    expect(rows(data)).toHaveLength(MAX_PENDING_COMMENTS);
    // The author approves one: there is room for one more.
    db.query("UPDATE comments SET status = 'approved' WHERE id = 1").run();
    expect((await post({ name: "Real reader", body: "A real comment" })).status).toBe(303);
    expect((await post({ name: "Next reader", body: "Another" })).status).toBe(429);
    updateSettings(db, { comment_policy: "approve" });
    expect((await post({ name: "Next reader", body: "Another" })).status).toBe(303);
  });
});
