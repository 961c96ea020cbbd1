import { describe, expect, test } from "bun:test";
import { addComment } from "../../../src/blog/comments.ts";
import { createPost, getPost, updatePost } from "../../../src/blog/posts.ts";
import { updateSettings } from "../../../src/blog/settings.ts";
import { request } from "../../helpers.ts";
import { HOST, hiddenField, signedInBrowser } from "./admin.ts";

const editorFields = (csrf: string, fields: Record<string, string>) => ({
  csrf,
  title: "",
  body: "",
  slug: "",
  tags: "",
  published_at: "",
  ...fields,
});

describe("writing posts", () => {
  test("the posts list groups drafts, scheduled and published posts, with views and a New post link", async () => {
    const { b, db, now } = await signedInBrowser();
    createPost(db(), { title: "A draft <idea>", body: "x", status: "draft" }, now());
    createPost(
      db(),
      { title: "Coming soon", body: "x", status: "published", publishedAt: "2026-06-01T08:00:00Z" },
      now(),
    );
    const live = createPost(
      db(),
      { title: "Live one", body: "x", status: "published", publishedAt: "2026-04-01T08:00:00Z" },
      now(),
    );
    db().query("UPDATE posts SET views = 1234 WHERE id = ?").run(live.id);
    const html = await (await b.get("/admin")).text();
    expect(html).toContain('href="/admin/posts/new"');
    expect(html).toContain(">New post</a>");
    expect(html).toContain("Drafts (1)");
    expect(html).toContain("A draft &lt;idea&gt;");
    expect(html).toContain("Scheduled (1)");
    expect(html).toContain("Publishes 1 Jun 2026, 08:00");
    expect(html).toContain("Published (1)");
    expect(html).toContain("1,234 views");
  });

  test("the editor has labelled Title, Body, Slug, Tags and publish time, and Save draft, Preview and Publish", async () => {
    const { b } = await signedInBrowser();
    const r = await b.get("/admin/posts/new");
    expect(r.status).toBe(200);
    const html = await r.text();
    for (const [id, label] of [
      ["title", "Title"],
      ["body", "Body"],
      ["slug", "Slug"],
      ["tags", "Tags"],
      ["published_at", "Publish date and time"],
    ]) {
      expect(html).toContain(`<label for="${id}">${label}</label>`);
      expect(html).toContain(`id="${id}" name="${id}"`);
    }
    expect(html).toContain('value="draft" class="secondary">Save draft</button>');
    expect(html).toContain('value="preview" class="secondary">Preview</button>');
    expect(html).toContain('value="publish">Publish</button>');
  });

  test("publishing a post makes it live on the blog; saving a draft keeps it off", async () => {
    const { b, csrf, handler } = await signedInBrowser();
    const draft = await b.post("/admin/posts", editorFields(csrf, { title: "Not yet", body: "Soon", action: "draft" }));
    expect(draft.status).toBe(303);
    expect(draft.headers.get("location")).toMatch(/^\/admin\/posts\/\d+\?saved=draft$/);
    expect(await (await b.get(draft.headers.get("location")!)).text()).toContain("Draft saved.");
    expect((await request(handler, HOST, "/not-yet")).status).toBe(404);
    const published = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "Hello world", body: "Some **bold** text", tags: "Intro, meta", action: "publish" }),
    );
    expect(published.status).toBe(303);
    const editor = await (await b.get(published.headers.get("location")!)).text();
    expect(editor).toContain("Published. It is live at");
    const page = await request(handler, HOST, "/hello-world");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>Hello world</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('href="/tags/intro"');
  });

  test("a future publish time in the blog's time zone schedules the post", async () => {
    const { b, csrf, db } = await signedInBrowser();
    updateSettings(db(), { time_zone: "Europe/Berlin" });
    const r = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "Later", body: "x", published_at: "2026-07-01T09:30", action: "publish" }),
    );
    const id = Number(/posts\/(\d+)/.exec(r.headers.get("location")!)![1]);
    const post = getPost(db(), id)!;
    expect(post.status).toBe("scheduled");
    expect(post.published_at).toBe("2026-07-01T07:30:00Z");
    const html = await (await b.get(r.headers.get("location")!)).text();
    expect(html).toContain("Scheduled: it appears on the blog on 1 Jul 2026, 09:30.");
    expect(html).toContain('value="2026-07-01T09:30"');
  });

  test("Preview renders the Markdown on the server and saves nothing", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const r = await b.post(
      "/admin/posts",
      editorFields(csrf, {
        title: "Draft <b>",
        body: "# Heading\n\nA [link](javascript:alert(1)) and <script>x</script>",
        action: "preview",
      }),
    );
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain("Preview (not saved yet)");
    expect(html).toContain("<h1>Heading</h1>");
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('name="title" value="Draft <b>"'); // a quoted attribute: only " and & need escaping
    expect(html).toContain("# Heading");
    expect((db().query("SELECT count(*) AS n FROM posts").get() as { n: number }).n).toBe(0);
  });

  test("validation errors re-show the form with what was typed and a message beside the field", async () => {
    const { b, csrf, db, now } = await signedInBrowser();
    const noTitle = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "  ", body: "My <em>kept</em> body", tags: "kept, tags", action: "publish" }),
    );
    expect(noTitle.status).toBe(400);
    let html = await noTitle.text();
    expect(html).toContain('<p class="field-error" id="title-error">A post needs a title.</p>');
    expect(html).toContain("My &lt;em&gt;kept&lt;/em&gt; body</textarea>");
    expect(html).toContain('value="kept, tags"');
    createPost(db(), { title: "Taken", body: "x", status: "draft" }, now());
    const badSlug = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "T", body: "b", slug: "Not a slug!", action: "draft" }),
    );
    expect(badSlug.status).toBe(400);
    expect(await badSlug.text()).toContain('id="slug-error">A slug is lower-case letters');
    const taken = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "T", body: "b", slug: "taken", action: "draft" }),
    );
    expect(await taken.text()).toContain("Another post already uses the slug &quot;taken&quot;.");
    const reserved = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "T", body: "b", slug: "admin", action: "draft" }),
    );
    expect(await reserved.text()).toContain("is used by the blog itself");
    const badDate = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "T", body: "b", published_at: "2026-02-31T10:00", action: "publish" }),
    );
    expect(badDate.status).toBe(400);
    expect(await badDate.text()).toContain('id="published_at-error">Use a date and time like');
    const long = await b.post(
      "/admin/posts",
      editorFields(csrf, { title: "x".repeat(301), body: "b", action: "draft" }),
    );
    html = await long.text();
    expect(long.status).toBe(400);
    expect(html).toContain("the limit is 300");
    const tooManyTags = await b.post(
      "/admin/posts",
      editorFields(csrf, {
        title: "T",
        body: "b",
        tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(","),
        action: "draft",
      }),
    );
    expect(await tooManyTags.text()).toContain("at most 20 tags");
    expect((db().query("SELECT count(*) AS n FROM posts").get() as { n: number }).n).toBe(1);
  });

  test("input beyond the route's limits is a 400 page, and oversized bodies a 413", async () => {
    const { b, csrf } = await signedInBrowser();
    const r = await b.post("/admin/posts", editorFields(csrf, { title: "x".repeat(3000), body: "b" }));
    expect(r.status).toBe(400);
    expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const big = new URLSearchParams(editorFields(csrf, { title: "T", body: "x".repeat(2.5 * 1024 * 1024) })).toString();
    const huge = await b.post("/admin/posts", editorFields(csrf, { title: "T", body: "x".repeat(2.5 * 1024 * 1024) }), {
      "content-length": String(big.length),
    });
    expect(huge.status).toBe(413);
    expect((await b.get("/admin/posts/abc")).status).toBe(404);
    expect((await b.get("/admin/posts/999")).status).toBe(404);
  });

  test("saving over a post changed since the editor loaded gives a conflict, never a silent overwrite", async () => {
    const { b, csrf, db, now, advance } = await signedInBrowser();
    const post = createPost(
      db(),
      { title: "Shared", body: "original", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    const form = await (await b.get(`/admin/posts/${post.id}`)).text();
    const loadedAt = hiddenField(form, "updated_at");
    advance(60_000);
    updatePost(db(), post.id, { title: "Shared", body: "changed in another tab", status: "published" }, { now: now() });
    advance(60_000);
    const r = await b.post(
      `/admin/posts/${post.id}`,
      editorFields(csrf, { title: "Shared", body: "my edit", slug: "shared", updated_at: loadedAt, action: "publish" }),
    );
    expect(r.status).toBe(409);
    const html = await r.text();
    expect(html).toContain("This post was changed after you opened it");
    expect(html).toContain("my edit</textarea>");
    expect(html).toContain("changed in another tab");
    expect(getPost(db(), post.id)!.body).toBe("changed in another tab");
    // Saving again from the conflict page is a deliberate choice, and goes through.
    const again = await b.post(
      `/admin/posts/${post.id}`,
      editorFields(csrf, {
        title: "Shared",
        body: "my edit",
        slug: "shared",
        updated_at: hiddenField(html, "updated_at"),
        action: "publish",
      }),
    );
    expect(again.status).toBe(303);
    expect(getPost(db(), post.id)!.body).toBe("my edit");
  });

  test("every save keeps the previous version; the editor lists them and restores one", async () => {
    const { b, csrf, db, now, advance } = await signedInBrowser();
    const post = createPost(db(), { title: "First title", body: "first body", tags: ["one"], status: "draft" }, now());
    advance(60_000);
    let form = await (await b.get(`/admin/posts/${post.id}`)).text();
    expect(form).toContain("None yet");
    await b.post(
      `/admin/posts/${post.id}`,
      editorFields(csrf, {
        title: "Second title",
        body: "second body",
        slug: post.slug,
        updated_at: hiddenField(form, "updated_at"),
        action: "draft",
      }),
    );
    form = await (await b.get(`/admin/posts/${post.id}`)).text();
    const revisionLink = /href="(\/admin\/posts\/\d+\/revisions\/\d+)"/.exec(form)![1];
    expect(form).toContain("First title · 10 characters");
    const revision = await (await b.get(revisionLink)).text();
    expect(revision).toContain("first body");
    expect(revision).toContain("Restore this version");
    advance(60_000);
    const restored = await b.post(`${revisionLink}/restore`, { csrf, updated_at: hiddenField(revision, "updated_at") });
    expect(restored.status).toBe(303);
    expect(restored.headers.get("location")).toBe(`/admin/posts/${post.id}?saved=restored`);
    const now2 = getPost(db(), post.id)!;
    expect([now2.title, now2.body, now2.tags]).toEqual(["First title", "first body", ["one"]]);
    // The replaced version is kept too, and a stale restore is refused.
    expect((db().query("SELECT count(*) AS n FROM revisions WHERE post_id = ?").get(post.id) as { n: number }).n).toBe(
      2,
    );
    const stale = await b.post(`${revisionLink}/restore`, { csrf, updated_at: hiddenField(revision, "updated_at") });
    expect(stale.status).toBe(409);
    expect((await b.post(`${revisionLink}/restore`, { updated_at: "x" })).status).toBe(403);
    expect((await b.get(`/admin/posts/${post.id}/revisions/99999`)).status).toBe(404);
  });

  test("changing a published post's slug keeps the old URL answering with a 301", async () => {
    const { b, csrf, db, now, handler } = await signedInBrowser();
    const post = createPost(
      db(),
      { title: "Old name", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    const form = await (await b.get(`/admin/posts/${post.id}`)).text();
    expect(form).toContain("Changing it keeps the old address working");
    expect(form).toContain(">Update post</button>");
    expect(form).not.toContain(">Save draft</button>");
    const r = await b.post(
      `/admin/posts/${post.id}`,
      editorFields(csrf, {
        title: "New name",
        body: "x",
        slug: "new-name",
        published_at: hiddenField(
          form.replace(/type="datetime-local" id="published_at" name="published_at"/, 'name="published_at"'),
          "published_at",
        ),
        updated_at: hiddenField(form, "updated_at"),
        action: "publish",
      }),
    );
    expect(r.status).toBe(303);
    expect(getPost(db(), post.id)!.published_at).toBe("2026-04-01T00:00:00Z");
    const old = await request(handler, HOST, "/old-name");
    expect(old.status).toBe(301);
    expect(old.headers.get("location")).toBe("/new-name");
    expect((await request(handler, HOST, "/new-name")).status).toBe(200);
  });

  test("unpublish and delete each ask first, then do it", async () => {
    const { b, csrf, db, now, handler } = await signedInBrowser();
    const post = createPost(
      db(),
      { title: "Goodbye", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    addComment(db(), { postId: post.id, name: "R", body: "c", status: "approved" }, now());
    const ask = await (await b.get(`/admin/posts/${post.id}/unpublish`)).text();
    expect(ask).toContain("Unpublish “Goodbye”?");
    expect(ask).toContain(`action="/admin/posts/${post.id}/unpublish"`);
    expect(getPost(db(), post.id)!.status).toBe("published");
    expect((await b.post(`/admin/posts/${post.id}/unpublish`, {})).status).toBe(403);
    const done = await b.post(`/admin/posts/${post.id}/unpublish`, { csrf });
    expect(done.headers.get("location")).toBe(`/admin/posts/${post.id}?saved=unpublished`);
    expect(getPost(db(), post.id)!.status).toBe("draft");
    expect((await request(handler, HOST, "/goodbye")).status).toBe(404);
    const confirm = await (await b.get(`/admin/posts/${post.id}/delete`)).text();
    expect(confirm).toContain("Delete “Goodbye”?");
    expect(confirm).toContain("its 1 comment and its 0 earlier versions are deleted");
    expect(getPost(db(), post.id)).not.toBeNull();
    const deleted = await b.post(`/admin/posts/${post.id}/delete`, { csrf });
    expect(deleted.headers.get("location")).toBe("/admin?deleted=1");
    expect(getPost(db(), post.id)).toBeNull();
    expect(await (await b.get("/admin?deleted=1")).text()).toContain("The post was deleted.");
    expect((await b.post(`/admin/posts/${post.id}/delete`, { csrf })).status).toBe(404);
  });
});
