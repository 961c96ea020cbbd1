import { describe, expect, test } from "bun:test";
import { addComment } from "../../../src/blog/comments.ts";
import { createPost } from "../../../src/blog/posts.ts";
import { signedInBrowser } from "./admin.ts";

async function withComments(n = 3) {
  const env = await signedInBrowser();
  const post = createPost(
    env.db(),
    { title: "Commented <post>", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
    env.now(),
  );
  const ids = Array.from({ length: n }, (_, i) =>
    addComment(
      env.db(),
      {
        postId: post.id,
        name: `Reader <${i}>`,
        email: `r${i}@example.com`,
        body: `Body ${i} <script>alert(1)</script>`,
        status: "pending",
      },
      env.now(),
    ),
  );
  const statuses = () =>
    (env.db().query("SELECT id, status FROM comments ORDER BY id").all() as { id: number; status: string }[]).map(
      (r) => r.status,
    );
  return { ...env, post, ids, statuses };
}

describe("moderating comments", () => {
  test("pending comments are listed, escaped, with their post; every admin page shows how many wait", async () => {
    const { b } = await withComments();
    const html = await (await b.get("/admin/comments")).text();
    expect(html).toContain("Waiting (3)");
    expect(html).toContain("Reader &lt;0&gt;");
    expect(html).toContain("Body 0 &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("Commented &lt;post&gt;");
    expect(html).toContain('value="approve:');
    for (const path of ["/admin", "/admin/posts/new", "/admin/settings", "/admin/stats", "/admin/comments"]) {
      expect(await (await b.get(path)).text()).toContain(
        '<span class="count" title="Comments waiting for moderation">3</span>',
      );
    }
  });

  test("approve, spam and delete one at a time", async () => {
    const { b, csrf, ids, statuses, handler, post } = await withComments();
    const r = await b.post("/admin/comments", { csrf, act: `approve:${ids[0]}` });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin/comments?done=approve&n=1");
    expect(await (await b.get(r.headers.get("location")!)).text()).toContain("1 comment approved.");
    await b.post("/admin/comments", { csrf, act: `spam:${ids[1]}` });
    await b.post("/admin/comments", { csrf, act: `delete:${ids[2]}` });
    expect(statuses()).toEqual(["approved", "spam"]);
    const page = await (
      await handler(new Request(`http://localhost/${post.slug}`, { headers: { host: "alice.localhost" } }))
    ).text();
    expect(page).toContain("Reader &lt;0&gt;");
    expect(page).not.toContain("Reader &lt;1&gt;");
    expect(await (await b.get("/admin/comments?status=spam")).text()).toContain("Reader &lt;1&gt;");
  });

  test("bulk actions apply to every ticked comment, and only to those", async () => {
    const { b, csrf, ids, statuses } = await withComments(4);
    const r = await b.post("/admin/comments", [
      ["csrf", csrf],
      ["act", "approve"],
      ["id", String(ids[0])],
      ["id", String(ids[2])],
    ]);
    expect(r.headers.get("location")).toBe("/admin/comments?done=approve&n=2");
    expect(statuses()).toEqual(["approved", "pending", "approved", "pending"]);
    await b.post("/admin/comments", [
      ["csrf", csrf],
      ["act", "delete"],
      ["id", String(ids[1])],
      ["id", String(ids[3])],
      ["status", "pending"],
    ]);
    expect(statuses()).toEqual(["approved", "approved"]);
    expect(await (await b.get("/admin/comments")).text()).toContain("No comments are waiting");
    // Nothing ticked: nothing happens.
    expect((await b.post("/admin/comments", { csrf, act: "spam" })).headers.get("location")).toBe("/admin/comments");
    expect(statuses()).toEqual(["approved", "approved"]);
  });

  test("moderation refuses a missing token, a cross-site origin and unknown actions", async () => {
    const { b, csrf, ids, statuses } = await withComments(1);
    expect((await b.post("/admin/comments", { act: `delete:${ids[0]}` })).status).toBe(403);
    expect(
      (await b.post("/admin/comments", { csrf, act: `delete:${ids[0]}` }, { origin: "https://evil.example" })).status,
    ).toBe(403);
    expect((await b.post("/admin/comments", { csrf, act: "burn" })).status).toBe(400);
    expect((await b.get("/admin/comments?status=everything")).status).toBe(404);
    expect((await b.get("/admin/comments?page=x")).status).toBe(404);
    expect(statuses()).toEqual(["pending"]);
    expect(await b.get("/admin/comments?done=constructor&n=1").then((r) => r.text())).not.toContain("comment function");
  });
});
