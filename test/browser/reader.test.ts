import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { addComment } from "../../src/blog/comments.ts";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, tempDir } from "../helpers.ts";
import { XSS_PAYLOADS } from "../xss-payloads.ts";
import { hasChromium, launchBrowser, startServer, type Server } from "./browser.ts";

// These tests drive Chromium against a `writekit serve` child process: seconds each on a loaded
// machine, far past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(120_000);

describe.skipIf(!hasChromium)("a reader in a real browser", () => {
  let browser: Browser;
  let server: Server;
  const slugs: string[] = [];

  beforeAll(async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice", { title: "Alice's notes" });
    const db = openBlogDatabase(path);
    updateSettings(db, { description: "Notes on databases and the web.", comment_policy: "approve" });
    createPost(db, {
      title: "Why every blog is a file",
      body: "SQLite in **WAL mode** lets readers and the writer work together.\n\n```sql\nPRAGMA journal_mode = WAL;\n```\n\nRead [the docs](https://sqlite.org/wal.html).[^wal]\n\n[^wal]: WAL arrived in SQLite 3.7.0.",
      tags: ["sqlite", "design"],
      status: "published",
      publishedAt: "2026-02-01T09:00:00Z",
    });
    XSS_PAYLOADS.forEach((payload, i) => {
      const post = createPost(db, {
        title: `${payload} ${i}`,
        body: `${payload}\n\n${payload}`,
        tags: [payload],
        status: "published",
        publishedAt: "2026-01-01T00:00:00Z",
      });
      addComment(db, { postId: post.id, name: payload, body: payload, status: "approved" });
      slugs.push(post.slug);
    });
    db.close();
    server = await startServer(data);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  test("no XSS payload runs anywhere a reader goes", async () => {
    const page = await browser.newPage();
    const ran: string[] = [];
    await page.exposeFunction("__xss", (n: unknown) => ran.push(String(n)));
    page.on("dialog", (d) => {
      ran.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    const paths = [
      "/",
      "/?page=2",
      "/tags",
      ...slugs.map((s) => `/${s}`),
      ...XSS_PAYLOADS.slice(0, 6).map((p) => `/search?q=${encodeURIComponent(p)}`),
    ];
    for (const path of paths) {
      const r = await page.goto(server.url("alice", path));
      expect(r?.status()).toBeLessThan(500);
      // Click every link the payloads may have produced (a javascript: URL would run here).
      for (const link of await page.locator("main a[href^='javascript' i], main a[href^='data' i]").all())
        await link.click({ timeout: 1000 }).catch(() => {});
    }
    expect(ran).toEqual([]);
    await page.close();
  });

  test("every link inside a post's text is underlined, footnote links included: colour alone does not tell a link", async () => {
    const page = await browser.newPage();
    await page.goto(server.url("alice", "/why-every-blog-is-a-file"));
    const links = await page
      .locator(".prose p a, .prose li a")
      .evaluateAll((as) => as.map((a) => ({ text: a.textContent, line: getComputedStyle(a).textDecorationLine })));
    expect(links.map((l) => l.text)).toEqual(["the docs", "[1]", "↩︎"]);
    expect(links.filter((l) => !l.line.includes("underline"))).toEqual([]);
    await page.close();
  });

  test("reads without JavaScript, comments through the form, and looks right on a phone", async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    await page.goto(server.url("alice"));
    await page.screenshot({ path: "/tmp/writekit-home-phone.png", fullPage: false });
    await page.getByRole("link", { name: "Why every blog is a file" }).click();
    expect(await page.locator("h1").textContent()).toBe("Why every blog is a file");
    await page.getByLabel("Name").fill("Reader Rita");
    await page.getByLabel("Comment").fill("Clear and useful, thanks!");
    await page.getByRole("button", { name: "Send comment" }).click();
    expect(new URL(page.url()).search).toBe("?comment=published");
    expect(await page.locator(".notice").textContent()).toContain("Your comment is published");
    expect(await page.locator(".comment").last().textContent()).toContain("Clear and useful, thanks!");
    await page.screenshot({ path: "/tmp/writekit-post-phone.png", fullPage: true });
    await context.close();
    const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
    await desktop.goto(server.url("alice", "/why-every-blog-is-a-file"));
    await desktop.screenshot({ path: "/tmp/writekit-post-dark.png", fullPage: true });
    await desktop.goto(server.url("alice", "/search?q=wal"));
    expect(await desktop.locator("mark").first().textContent()).toMatch(/wal/i);
    await desktop.close();
  });
});
