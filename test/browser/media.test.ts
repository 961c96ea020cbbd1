import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { makeBlog, tempDir, TEST_PASSWORD } from "../helpers.ts";
import { fixture, sha256 } from "../media-files.ts";
import { hasChromium, launchBrowser, startServer, type Server } from "./browser.ts";

const IMAGE = join(import.meta.dir, "..", "fixtures", "media", "landscape.png");

describe.skipIf(!hasChromium)("images in a real browser", () => {
  let browser: Browser;
  let server: Server;

  beforeAll(async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice's notes" });
    server = await startServer(data);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  }, 60_000);

  test("an author uploads a PNG with alt text and publishes a post that shows it; a reader's phone loads it, cached for good; the export holds the same bytes", async () => {
    const hash = sha256(fixture("landscape.png"));
    const markdown = `![Sunset over the hills](/media/${hash}.png)`;
    const author = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
      acceptDownloads: true,
    });
    const admin = await author.newPage();
    await admin.goto(server.url("alice", "/admin"));
    await admin.getByLabel("Email", { exact: true }).fill("alice@example.com");
    await admin.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
    await admin.getByRole("button", { name: "Sign in" }).click();
    expect(new URL(admin.url()).pathname).toBe("/admin");

    // The Media page: upload, and the Markdown to paste.
    await admin.getByRole("link", { name: "Media" }).click();
    await admin.getByLabel("Image", { exact: true }).setInputFiles(IMAGE);
    await admin.getByLabel("Alt text", { exact: true }).fill("Sunset over the hills");
    await admin.getByRole("button", { name: "Upload", exact: true }).click();
    expect(await admin.locator(".notice code.markdown").textContent()).toBe(markdown);
    expect(await admin.locator(".media-item dd").first().textContent()).toBe("3.4 KiB");
    await admin.screenshot({ path: "/tmp/writekit-admin-media-phone.png", fullPage: true });

    // The editor: what is typed stays, the upload adds the image's Markdown to the body.
    await admin.goto(server.url("alice", "/admin/posts/new"));
    await admin.getByLabel("Title", { exact: true }).fill("Evening walk");
    await admin.getByLabel("Body", { exact: true }).fill("The light was warm tonight.");
    await admin.getByLabel("Image", { exact: true }).setInputFiles(IMAGE);
    await admin.getByLabel("Alt text", { exact: true }).fill("Sunset over the hills");
    await admin.getByRole("button", { name: "Upload image" }).click();
    expect(await admin.getByLabel("Body", { exact: true }).inputValue()).toBe(
      `The light was warm tonight.\n\n${markdown}\n`,
    );
    expect(await admin.getByLabel("Title", { exact: true }).inputValue()).toBe("Evening walk");
    await admin.screenshot({ path: "/tmp/writekit-admin-editor-upload-phone.png", fullPage: true });
    await admin.getByRole("button", { name: "Publish" }).click();
    expect(await admin.locator(".notice").first().textContent()).toContain("Published.");

    // A reader on a phone.
    const reader = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const page = await reader.newPage();
    const images: { status: number; type: string | null; cache: string | null }[] = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname.startsWith("/media/"))
        images.push({
          status: r.status(),
          type: r.headers()["content-type"] ?? null,
          cache: r.headers()["cache-control"] ?? null,
        });
    });
    await page.goto(server.url("alice", "/evening-walk"));
    const img = page.getByRole("img", { name: "Sunset over the hills" });
    await img.waitFor();
    expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(480);
    expect(await img.getAttribute("width")).toBe("480");
    expect(await img.getAttribute("height")).toBe("300");
    expect(images).toEqual([{ status: 200, type: "image/png", cache: "public, max-age=31536000, immutable" }]);
    expect(await page.locator('meta[property="og:image"]').getAttribute("content")).toBe(
      server.url("alice", `/media/${hash}.png`),
    );
    await page.screenshot({ path: "/tmp/writekit-post-image-phone.png", fullPage: false });
    const icon = await page.goto(server.url("alice", "/favicon.ico"));
    expect([icon?.status(), icon?.headers()["content-type"]]).toEqual([200, "image/png"]);
    await reader.close();

    // The export: the same bytes in the blog's own file.
    await admin.goto(server.url("alice", "/admin/settings"));
    const [download] = await Promise.all([
      admin.waitForEvent("download"),
      admin.getByRole("link", { name: "Download export (.db)" }).click(),
    ]);
    const file = join(tempDir(), download.suggestedFilename());
    await download.saveAs(file);
    const db = new Database(file, { readonly: true });
    const rows = db.query("SELECT sha256, type, width, height, alt, data FROM media").all() as {
      sha256: string;
      data: Uint8Array;
    }[];
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      sha256: hash,
      type: "image/png",
      width: 480,
      height: 300,
      alt: "Sunset over the hills",
    });
    expect(sha256(rows[0].data)).toBe(hash);
    await author.close();
  }, 90_000);
});
