import { describe, expect, test } from "bun:test";
import { setMenu } from "../../src/blog/menu.ts";
import { createPost } from "../../src/blog/posts.ts";
import { request } from "../helpers.ts";
import { HOST, signedInBrowser } from "./admin/admin.ts";

describe("the menu", () => {
  test("is edited in settings as Label | URL lines, with the blog's pages and tags suggested, and shows in every reader page's header", async () => {
    const { b, csrf, db, handler, now } = await signedInBrowser();
    createPost(
      db(),
      { title: "About", body: "Me", status: "published", publishedAt: "2026-04-01T00:00:00Z", kind: "page" },
      now(),
    );
    createPost(
      db(),
      { title: "Post", body: "x", tags: ["sqlite"], status: "published", publishedAt: "2026-04-01T00:00:00Z" },
      now(),
    );
    const settings = await (await b.get("/admin/settings")).text();
    expect(settings).toContain('<label for="menu_links">Menu links</label>');
    expect(settings).toContain("<code>About | /about</code>");
    expect(settings).toContain("<code>sqlite | /tags/sqlite</code>");
    const r = await b.post("/admin/settings/menu", {
      csrf,
      menu: "About | /about\r\n\r\n  SQLite posts | /tags/sqlite  \nMy | code | https://example.com/code?a=1&b=2\n",
    });
    expect(r.status).toBe(303);
    // A browser never sends the #fragment of a Location.
    expect(await (await b.get(r.headers.get("location")!.split("#")[0])).text()).toContain("Menu saved.");
    expect(await (await b.get("/admin/settings")).text()).toContain(
      "About | /about\nSQLite posts | /tags/sqlite\nMy | code | https://example.com/code?a=1&amp;b=2</textarea>",
    );
    for (const path of ["/", "/about", "/post", "/tags/sqlite", "/search?q=x", "/no-such-page"]) {
      const html = await (await request(handler, HOST, path)).text();
      expect(html).toContain(
        '<a href="/">Home</a><a href="/about">About</a><a href="/tags/sqlite">SQLite posts</a><a href="https://example.com/code?a=1&b=2">My | code</a><a href="/search">Search</a>',
      );
    }
  });

  test("a menu that cannot be saved comes back as typed with the message beside the field, and the old menu stays", async () => {
    const { b, csrf, db, handler } = await signedInBrowser();
    setMenu(db(), [{ label: "Old", url: "/old" }]);
    const cases: [string, string][] = [
      ["About /about", "Link 1 (“About /about”) has no “|”: write it as Label | URL, like About | /about."],
      [
        "Home | /\nBad | javascript:alert(1)",
        "Link 2&#x27;s URL must be a path like /about, or an http, https or mailto address.",
      ],
      [" | /x", "Link 1 needs a label."],
      [
        Array.from({ length: 21 }, (_, i) => `L${i} | /l${i}`).join("\n"),
        "A menu has at most 20 links; this one has 21.",
      ],
    ];
    for (const [menu, message] of cases) {
      const r = await b.post("/admin/settings/menu", { csrf, menu });
      expect(r.status).toBe(400);
      const html = await r.text();
      expect(html).toContain(`<p class="field-error" id="menu-error">${message}</p>`);
      expect(html).toContain('aria-invalid="true"');
    }
    const kept = await (await b.post("/admin/settings/menu", { csrf, menu: "Bad | javascript:alert(1)" })).text();
    expect(kept).toContain(">Bad | javascript:alert(1)</textarea>");
    expect(await (await request(handler, HOST, "/")).text()).toContain('<a href="/old">Old</a>');
    expect(await (await request(handler, HOST, "/")).text()).not.toContain("javascript:");
  });

  test("an empty menu removes it", async () => {
    const { b, csrf, db, handler } = await signedInBrowser();
    setMenu(db(), [{ label: "Old", url: "/old" }]);
    expect((await b.post("/admin/settings/menu", { csrf, menu: "  \n" })).status).toBe(303);
    expect(await (await request(handler, HOST, "/")).text()).toContain(
      '<a href="/">Home</a><a href="/search">Search</a>',
    );
  });
});
