import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { getMenu, MenuError, setMenu } from "../../src/blog/menu.ts";
import {
  createPost,
  getPost,
  getVisiblePage,
  getVisiblePost,
  listAllPosts,
  listVisiblePages,
  listVisiblePosts,
  listVisiblePostsFull,
  listVisiblePostsWithTag,
  PostError,
  updatePost,
} from "../../src/blog/posts.ts";
import { searchPosts } from "../../src/blog/search.ts";
import { DEFAULT_MEDIA_QUOTA_BYTES, getSettings, updateSettings } from "../../src/blog/settings.ts";
import { listVisibleTags } from "../../src/blog/tags.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, tempDir } from "../helpers.ts";

const NOW = new Date("2026-01-10T00:00:00Z");

async function blog(): Promise<Database> {
  return openBlogDatabase(await makeBlog(tempDir(), "alice"));
}

async function blogWithAPostAndAPage(): Promise<Database> {
  const db = await blog();
  createPost(
    db,
    {
      title: "A post about sqlite",
      body: "sqlite everywhere",
      tags: ["notes"],
      status: "published",
      publishedAt: "2026-01-01T00:00:00Z",
    },
    NOW,
  );
  createPost(
    db,
    {
      title: "About",
      body: "I write about sqlite.",
      tags: ["notes"],
      status: "published",
      publishedAt: "2026-01-02T00:00:00Z",
      kind: "page",
    },
    NOW,
  );
  createPost(db, { title: "Now", body: "Soon", status: "draft", kind: "page" }, NOW);
  return db;
}

describe("pages: a post row of kind 'page', at /<slug> but outside lists", () => {
  test("a page answers by its slug as a page, not as a post; a draft page not at all", async () => {
    const db = await blogWithAPostAndAPage();
    expect(getVisiblePage(db, "about", NOW)).toMatchObject({ title: "About", kind: "page", status: "published" });
    expect(getVisiblePost(db, "about", NOW)).toBeNull();
    expect(getVisiblePage(db, "a-post-about-sqlite", NOW)).toBeNull();
    expect(getVisiblePost(db, "a-post-about-sqlite", NOW)).toMatchObject({ kind: "post" });
    expect(getVisiblePage(db, "now", NOW)).toBeNull();
  });

  test("the home list, tag pages, tag counts, feeds and search skip pages", async () => {
    const db = await blogWithAPostAndAPage();
    const titles = (items: { title: string }[]) => items.map((p) => p.title);
    expect(titles(listVisiblePosts(db, { limit: 10, offset: 0, now: NOW }).items)).toEqual(["A post about sqlite"]);
    expect(listVisiblePosts(db, { limit: 10, offset: 0, now: NOW }).total).toBe(1);
    expect(titles(listVisiblePostsWithTag(db, "notes", { limit: 10, offset: 0, now: NOW }).items)).toEqual([
      "A post about sqlite",
    ]);
    expect(listVisiblePostsWithTag(db, "notes", { limit: 10, offset: 0, now: NOW }).total).toBe(1);
    expect(listVisibleTags(db, NOW)).toEqual([{ name: "notes", count: 1 }]);
    expect(titles(listVisiblePostsFull(db, { limit: 20, now: NOW }))).toEqual(["A post about sqlite"]);
    const found = searchPosts(db, "sqlite", { limit: 10, offset: 0, now: NOW });
    expect(found.hits.map((h) => h.slug)).toEqual(["a-post-about-sqlite"]);
    expect(found.total).toBe(1);
  });

  test("the sitemap's list of pages holds the visible ones; the author's list shows every kind", async () => {
    const db = await blogWithAPostAndAPage();
    expect(listVisiblePages(db, NOW)).toEqual([expect.objectContaining({ slug: "about", title: "About" })]);
    expect(listAllPosts(db).map((p) => [p.slug, p.kind])).toContainEqual(["now", "page"]);
  });

  test("an edit without a kind keeps it; a post can become a page and back; pages and posts share slugs", async () => {
    const db = await blogWithAPostAndAPage();
    const about = getVisiblePage(db, "about", NOW)!;
    expect(
      updatePost(db, about.id, { title: "About me", body: "Hi", slug: "about", status: "published" }, { now: NOW })
        .kind,
    ).toBe("page");
    const post = getVisiblePost(db, "a-post-about-sqlite", NOW)!;
    expect(
      updatePost(
        db,
        post.id,
        { title: post.title, body: getPost(db, post.id)!.body, slug: post.slug, status: "published", kind: "page" },
        { now: NOW },
      ).kind,
    ).toBe("page");
    expect(listVisiblePosts(db, { limit: 10, offset: 0, now: NOW }).total).toBe(0);
    expect(() => createPost(db, { title: "About", slug: "about", body: "", status: "draft" }, NOW)).toThrow(
      /already uses the slug "about"/,
    );
    expect(() => createPost(db, { title: "X", body: "", status: "draft", kind: "note" as never }, NOW)).toThrow(
      PostError,
    );
  });
});

describe("the menu setting and the media quota setting", () => {
  test("a menu is an ordered list of links kept as JSON in the setting `menu`", async () => {
    const db = await blog();
    expect(getMenu(db)).toEqual([]);
    setMenu(db, [
      { label: " About ", url: "/about" },
      { label: "Notes", url: "/tags/notes" },
      { label: "Mastodon", url: "https://example.social/@alice" },
    ]);
    expect(getMenu(db)).toEqual([
      { label: "About", url: "/about" },
      { label: "Notes", url: "/tags/notes" },
      { label: "Mastodon", url: "https://example.social/@alice" },
    ]);
    expect(
      JSON.parse((db.query("SELECT value FROM settings WHERE key = 'menu'").get() as { value: string }).value),
    ).toHaveLength(3);
  });

  test("a menu link must be safe and short; a hand-damaged setting is read as far as it is valid", async () => {
    const db = await blog();
    expect(() => setMenu(db, [{ label: "x", url: "javascript:alert(1)" }])).toThrow(MenuError);
    expect(() => setMenu(db, [{ label: "x", url: '/a" onclick="x' }])).toThrow(/must be a path/);
    expect(() => setMenu(db, [{ label: "", url: "/a" }])).toThrow(/needs a label/);
    expect(() =>
      setMenu(
        db,
        Array.from({ length: 21 }, () => ({ label: "a", url: "/a" })),
      ),
    ).toThrow(/at most 20/);
    updateSettings(db, {});
    db.run(
      `INSERT INTO settings (key, value) VALUES ('menu', '[{"label":"ok","url":"/ok"},{"label":"bad","url":"javascript:x"},7]')`,
    );
    expect(getMenu(db)).toEqual([{ label: "ok", url: "/ok" }]);
    db.run("UPDATE settings SET value = 'not json' WHERE key = 'menu'");
    expect(getMenu(db)).toEqual([]);
  });

  test("the media quota is 500 MiB unless the setting says otherwise", async () => {
    const db = await blog();
    expect(getSettings(db).media_quota_bytes).toBe(DEFAULT_MEDIA_QUOTA_BYTES);
    expect(DEFAULT_MEDIA_QUOTA_BYTES).toBe(500 * 1024 * 1024);
    updateSettings(db, { media_quota_bytes: 1000 });
    expect(getSettings(db).media_quota_bytes).toBe(1000);
  });
});
