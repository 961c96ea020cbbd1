import { describe, expect, test } from "bun:test";
import { createPost, getPost } from "../../src/blog/posts.ts";
import { request } from "../helpers.ts";
import { HOST, signedInBrowser } from "./admin/admin.ts";

const editorFields = (csrf: string, fields: Record<string, string>) => ({
  csrf,
  title: "",
  body: "",
  slug: "",
  tags: "",
  published_at: "",
  kind: "post",
  ...fields,
});

describe("pages (About, Now, …)", () => {
  test("the editor offers Post or Page, and a page written there answers at /<slug> without date, tags or comments", async () => {
    const { b, csrf, db, handler } = await signedInBrowser();
    const editor = await (await b.get("/admin/posts/new")).text();
    expect(editor).toContain("<legend>Post or page</legend>");
    expect(editor).toContain('<input type="radio" id="kind-post" name="kind" value="post" checked/> Post');
    expect(editor).toContain(
      '<input type="radio" id="kind-page" name="kind" value="page" aria-describedby="kind-hint"/> Page',
    );
    const r = await b.post(
      "/admin/posts",
      editorFields(csrf, {
        title: "About me",
        body: "I write about **SQLite**.",
        slug: "about",
        tags: "notes",
        kind: "page",
        action: "publish",
      }),
    );
    expect(r.status).toBe(303);
    const id = Number(/posts\/(\d+)/.exec(r.headers.get("location")!)![1]);
    expect(getPost(db(), id)).toMatchObject({ kind: "page", status: "published" });
    const saved = await (await b.get(r.headers.get("location")!)).text();
    expect(saved).toContain('value="page" checked aria-describedby="kind-hint"');
    expect(await (await b.get("/admin")).text()).toContain('<span class="status page">Page</span>');
    const page = await request(handler, HOST, "/about");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>About me</h1>");
    expect(html).toContain("<strong>SQLite</strong>");
    expect(html).not.toContain('id="comments"');
    expect(html).not.toContain("<time");
    expect(html).toContain('<meta name="description" content="I write about SQLite."/>');
    // Not a post: no comments can be posted to it.
    expect(
      (
        await request(handler, HOST, "/about/comments", {
          method: "POST",
          body: new URLSearchParams({ name: "x", body: "y" }),
        })
      ).status,
    ).toBe(404);
  });

  test("a page is left out of the home list, tag pages, feeds and search, and is in the sitemap", async () => {
    const { db, handler, now } = await signedInBrowser();
    createPost(
      db(),
      {
        title: "A post on sqlite",
        body: "sqlite words",
        tags: ["notes"],
        status: "published",
        publishedAt: "2026-04-01T00:00:00Z",
      },
      now(),
    );
    createPost(
      db(),
      {
        title: "About sqlite",
        body: "sqlite words",
        tags: ["notes"],
        status: "published",
        publishedAt: "2026-04-02T00:00:00Z",
        kind: "page",
      },
      now(),
    );
    const get = async (path: string) => (await request(handler, HOST, path)).text();
    for (const path of ["/", "/tags/notes", "/feed.xml", "/feed.json", "/tags/notes/feed.xml", "/search?q=sqlite"]) {
      const text = await get(path);
      expect(text).toContain("/a-post-on-sqlite");
      expect(text).not.toContain("/about-sqlite");
    }
    const sitemap = await get("/sitemap.xml");
    expect(sitemap).toContain("<loc>http://alice.localhost/about-sqlite</loc>");
    expect(sitemap).toContain("<loc>http://alice.localhost/a-post-on-sqlite</loc>");
  });

  test("turning a post into a page takes it off the lists; a form without the choice keeps what it is", async () => {
    const { b, csrf, db, handler, now } = await signedInBrowser();
    const post = createPost(
      db(),
      { title: "Now", body: "What I do now", status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    expect(await (await request(handler, HOST, "/")).text()).toContain(">Now</a>");
    const r = await b.post(
      `/admin/posts/${post.id}`,
      editorFields(csrf, {
        title: "Now",
        body: "What I do now",
        slug: "now",
        kind: "page",
        action: "publish",
        updated_at: post.updated_at,
      }),
    );
    expect(r.status).toBe(303);
    expect(await (await request(handler, HOST, "/")).text()).not.toContain(">Now</a>");
    expect((await request(handler, HOST, "/now")).status).toBe(200);
    const { kind: _, ...withoutKind } = editorFields(csrf, {
      title: "Now",
      body: "Still now",
      slug: "now",
      action: "publish",
      updated_at: getPost(db(), post.id)!.updated_at,
    });
    expect((await b.post(`/admin/posts/${post.id}`, withoutKind)).status).toBe(303);
    expect(getPost(db(), post.id)).toMatchObject({ kind: "page", body: "Still now" });
  });
});
