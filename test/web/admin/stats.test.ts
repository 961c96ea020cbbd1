import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { createPost } from "../../../src/blog/posts.ts";
import { addComment } from "../../../src/blog/comments.ts";
import { parseTenantName } from "../../../src/tenants/names.ts";
import { request } from "../../helpers.ts";
import { EXPORT_RETRY_S, MAX_EXPORTS_PER_SERVER } from "../../../src/web/admin/export.ts";
import { HOST, setupAdmin, signedInBrowser } from "./admin.ts";

describe("stats", () => {
  test("views per post, a server-drawn SVG chart of the last 30 days, and top posts", async () => {
    const { b, db, now, handler, services } = await signedInBrowser();
    const a = createPost(
      db(),
      { title: "Popular <one>", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    const c = createPost(
      db(),
      { title: "Quiet", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    db()
      .query(
        "INSERT INTO daily_views (post_id, day, views) VALUES (?, '2026-04-20', 7), (?, '2026-03-01', 100), (?, '2026-04-30', 2)",
      )
      .run(a.id, a.id, c.id);
    db().query("UPDATE posts SET views = CASE id WHEN ? THEN 107 ELSE 2 END").run(a.id);
    // Three reads today through the real reader: counted in memory, shown before they reach the file.
    for (let i = 0; i < 3; i++) await request(handler, HOST, `/${a.slug}`);
    expect(services.views.pendingFor(parseTenantName("alice"))).toBe(3);
    const r = await b.get("/admin/stats");
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('<svg class="chart" viewBox="0 0 600 260" role="img"');
    expect((html.match(/<rect class="bar"/g) ?? []).length).toBe(30);
    expect(html).toContain("<title>20 Apr: 7 views</title>");
    expect(html).toContain("<title>1 May: 3 views</title>");
    expect(html).toContain("<title>30 Apr: 2 views</title>");
    expect(html).toContain("12 in all");
    expect(html).not.toContain("<script");
    expect(html).toContain("Popular &lt;one&gt;");
    const top = html.slice(html.indexOf("Top posts"), html.indexOf("Views per post"));
    expect(top.indexOf("Popular")).toBeLessThan(top.indexOf("Quiet"));
    expect(html).toContain('<td class="num">110</td>');
  });

  test("a blog without views says so instead of drawing nothing", async () => {
    const { b } = await signedInBrowser();
    const html = await (await b.get("/admin/stats")).text();
    expect(html).toContain("No post has been read yet.");
    expect(html).toContain("0 in all");
  });
});

describe("export", () => {
  test("/admin/export downloads <name>-<date>.db: a consistent snapshot without sessions or password hashes, and leaves no temporary file", async () => {
    const { b, db, now, csrf } = await signedInBrowser();
    createPost(
      db(),
      { title: "Exported post", body: "kept", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    addComment(db(), { postId: 1, name: "R", body: "c", status: "approved" }, now());
    expect(csrf).toBeTruthy();
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith("writekit-export-")).length;
    const r = await b.get("/admin/export");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-disposition")).toBe('attachment; filename="alice-2026-05-01.db"');
    expect(r.headers.get("content-type")).toBe("application/vnd.sqlite3");
    expect(r.headers.get("cache-control")).toBe("no-store");
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(Number(r.headers.get("content-length"))).toBe(bytes.length);
    expect(new TextDecoder().decode(bytes.slice(0, 15))).toBe("SQLite format 3");
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith("writekit-export-")).length).toBe(before);
    const copy = Database.deserialize(bytes, { readonly: true });
    expect(copy.query("SELECT title FROM posts").all()).toEqual([{ title: "Exported post" }]);
    expect((copy.query("SELECT count(*) AS n FROM comments").get() as { n: number }).n).toBe(1);
    expect(copy.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    expect(copy.query("SELECT password_hash FROM authors").all()).toEqual([{ password_hash: "" }]);
    expect(new TextDecoder().decode(bytes)).not.toContain("$argon2");
    copy.close();
  });

  test("a signed-out visitor cannot export", async () => {
    const { handler } = await signedInBrowser();
    const r = await request(handler, HOST, "/admin/export");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fexport");
  });

  test("one export at a time per blog, and at most two per server: one more gets a 429 page with Retry-After", async () => {
    const env = await setupAdmin({ blogs: ["alice", "bob", "carol"] });
    const signedIn = async (name: string) => {
      const b = env.browser(`${name}.localhost`);
      expect((await b.signIn(`${name}@example.com`)).status).toBe(303);
      return b;
    };
    const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map(signedIn));
    // Started together: the second export of the same blog is refused while the first is being made.
    const same = await Promise.all([alice.get("/admin/export"), alice.get("/admin/export")]);
    expect(same.map((r) => r.status).sort()).toEqual([200, 429]);
    const busy = same.find((r) => r.status === 429)!;
    expect(busy.headers.get("retry-after")).toBe(String(EXPORT_RETRY_S));
    expect(await busy.text()).toContain("An export is already being made");
    await same.find((r) => r.status === 200)!.arrayBuffer();
    // Three blogs at once: two are made, the third is told the server is busy.
    const three = await Promise.all([alice, bob, carol].map((b) => b.get("/admin/export")));
    expect(three.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    expect(await three.find((r) => r.status === 429)!.text()).toContain(
      `the server makes only ${MAX_EXPORTS_PER_SERVER} at a time`,
    );
    await Promise.all(three.filter((r) => r.status === 200).map((r) => r.arrayBuffer()));
    // Once they are done, each blog exports again.
    expect((await carol.get("/admin/export")).status).toBe(200);
  }, 30_000);
});
