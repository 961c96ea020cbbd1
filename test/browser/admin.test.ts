import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { makeBlog, tempDir, TEST_PASSWORD } from "../helpers.ts";
import { hasChromium, launchBrowser, startServer, type Server } from "./browser.ts";

// These tests drive Chromium against a `writekit serve` child process: seconds each on a loaded
// machine, far past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(120_000);

describe.skipIf(!hasChromium)("an author in a real browser", () => {
  let browser: Browser;
  let server: Server;

  beforeAll(async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice's notes" });
    server = await startServer(data);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  test("signs in by the labels, writes, previews and publishes a post, sees it on the blog, and downloads the export — without JavaScript, on a phone", async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 800 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    await page.goto(server.url("alice", "/admin"));
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await page.getByLabel("Email", { exact: true }).fill("alice@example.com");
    await page.getByLabel("Password", { exact: true }).fill("not my password");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.locator(".notice").textContent()).toContain("do not match");
    await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(new URL(page.url()).pathname).toBe("/admin");
    await page.screenshot({ path: "/tmp/writekit-admin-posts-phone.png", fullPage: true });

    await page.getByRole("link", { name: "New post" }).click();
    await page.getByLabel("Title", { exact: true }).fill("Written in Chromium");
    await page.getByLabel("Body", { exact: true }).fill("Hello from a **real** browser.\n\n- one\n- two");
    await page.getByLabel("Tags", { exact: true }).fill("browsers, testing");
    await page.getByRole("button", { name: "Preview" }).click();
    expect(await page.locator(".preview strong").textContent()).toBe("real");
    expect(await page.getByLabel("Title", { exact: true }).inputValue()).toBe("Written in Chromium");
    await page.screenshot({ path: "/tmp/writekit-admin-preview-phone.png", fullPage: true });
    await page.getByRole("button", { name: "Publish" }).click();
    expect(await page.locator(".notice").textContent()).toContain("Published.");
    await page.screenshot({ path: "/tmp/writekit-admin-editor-phone.png", fullPage: true });

    await page.goto(server.url("alice", "/"));
    await page.getByRole("link", { name: "Written in Chromium" }).click();
    expect(new URL(page.url()).pathname).toBe("/written-in-chromium");
    expect(await page.locator("h1").textContent()).toBe("Written in Chromium");
    expect(await page.locator("article strong").textContent()).toBe("real");

    await page.goto(server.url("alice", "/admin/settings"));
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download export (.db)" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^alice-\d{4}-\d{2}-\d{2}\.db$/);
    const file = join(tempDir(), download.suggestedFilename());
    await download.saveAs(file);
    const db = new Database(file, { readonly: true });
    expect(db.query("SELECT title, status FROM posts").all()).toEqual([
      { title: "Written in Chromium", status: "published" },
    ]);
    expect(db.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    expect(db.query("SELECT password_hash FROM authors").all()).toEqual([{ password_hash: "" }]);
    db.close();
    expect(await Bun.file(file).text()).not.toContain("$argon2");

    await page.goto(server.url("alice", "/admin"));
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await page.goto(server.url("alice", "/admin/settings"));
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await context.close();
  });
});
