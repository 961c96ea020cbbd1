import { describe, expect, test } from "bun:test";
import { getSettings, updateSettings } from "../../../src/blog/settings.ts";
import { createPost } from "../../../src/blog/posts.ts";
import { request, TEST_PASSWORD } from "../../helpers.ts";
import { HOST, signedInBrowser } from "./admin.ts";

const general = (csrf: string, fields: Record<string, string> = {}) => ({
  csrf,
  title: "Alice writes",
  description: "On <databases>",
  author_name: "Alice",
  posts_per_page: "5",
  comment_policy: "approve",
  time_zone: "Europe/Berlin",
  ...fields,
});

describe("settings", () => {
  test("the settings form saves title, description, author name, posts per page, comment policy and time zone", async () => {
    const { b, csrf, db, handler } = await signedInBrowser();
    const form = await (await b.get("/admin/settings")).text();
    for (const label of [
      "Blog title",
      "Description",
      "Author name",
      "Posts per page",
      "Comments",
      "Time zone",
      "Custom CSS",
      "Change password",
      "Custom domain",
    ])
      expect(form).toContain(label);
    const r = await b.post("/admin/settings", general(csrf));
    expect(r.status).toBe(303);
    expect(await (await b.get(r.headers.get("location")!)).text()).toContain("Settings saved.");
    const s = getSettings(db());
    expect([s.title, s.description, s.author_name, s.posts_per_page, s.comment_policy, s.time_zone]).toEqual([
      "Alice writes",
      "On <databases>",
      "Alice",
      5,
      "approve",
      "Europe/Berlin",
    ]);
    const home = await (await request(handler, HOST, "/")).text();
    expect(home).toContain("Alice writes");
    expect(home).toContain("On &lt;databases&gt;");
  });

  test("bad settings re-show the form with what was typed and a message beside each field", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const r = await b.post(
      "/admin/settings",
      general(csrf, {
        title: " ",
        posts_per_page: "500",
        comment_policy: "everyone",
        time_zone: "Mars/Olympus",
        description: "kept <text>",
      }),
    );
    expect(r.status).toBe(400);
    const html = await r.text();
    expect(html).toContain('id="title-error">A blog needs a title.');
    expect(html).toContain('id="posts_per_page-error">A whole number from 1 to 100.');
    expect(html).toContain('id="comment_policy-error">');
    expect(html).toContain('id="time_zone-error">Choose a time zone');
    expect(html).toContain("kept &lt;text&gt;</textarea>");
    expect(html).toContain('value="Mars/Olympus" selected');
    expect(getSettings(db()).title).toBe("alice's blog");
  });

  test("custom CSS is size-limited, loses any '<', and is served as its own text/css stylesheet linked from every reader page", async () => {
    const { b, csrf, db, handler, now } = await signedInBrowser();
    createPost(db(), { title: "Styled", body: "x", status: "published", publishedAt: "2026-04-01T00:00:00Z" }, now());
    const tooBig = await b.post("/admin/settings/css", { csrf, css: "a{}".repeat(17_000) });
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain("the limit is 50,000");
    expect(getSettings(db()).custom_css).toBe("");
    const r = await b.post("/admin/settings/css", {
      csrf,
      css: "body { color: teal }\n</style><script>alert(1)</script>",
    });
    expect(r.headers.get("location")).toBe("/admin/settings?saved=css-cleaned#css");
    const css = getSettings(db()).custom_css;
    expect(css).not.toContain("<");
    const home = await (await request(handler, HOST, "/")).text();
    const href = /<link rel="stylesheet" href="(\/custom\.css\?v=[a-z0-9]+)"/.exec(home)![1];
    expect(home).not.toContain("color: teal");
    expect(await (await request(handler, HOST, "/styled")).text()).toContain(href);
    const sheet = await request(handler, HOST, href);
    expect(sheet.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(sheet.headers.get("cache-control")).toContain("immutable");
    expect(await sheet.text()).toBe(css);
    // A stale version is still answered, but must be revalidated; a CSS edited with sqlite3 is cleaned when served.
    expect((await request(handler, HOST, "/custom.css?v=old")).headers.get("cache-control")).toBe("no-cache");
    updateSettings(db(), { custom_css: "p{}</style><b>" });
    expect(await (await request(handler, HOST, "/custom.css")).text()).toBe("p{}/style>b>");
    // The admin never loads it, and removing it unlinks it.
    expect(await (await b.get("/admin/settings")).text()).not.toContain("/custom.css");
    await b.post("/admin/settings/css", { csrf, css: "" });
    expect(await (await request(handler, HOST, "/")).text()).not.toContain("/custom.css");
    expect((await request(handler, HOST, "/custom.css")).status).toBe(404);
  });

  test("changing the password needs the current one, checks the new one, and signs out other browsers", async () => {
    const env = await signedInBrowser();
    const other = env.browser();
    await other.signIn();
    const change = (fields: Record<string, string>) =>
      env.b.post("/admin/password", {
        csrf: env.csrf,
        current: TEST_PASSWORD,
        password: "a brand new password",
        confirm: "a brand new password",
        ...fields,
      });
    const wrong = await change({ current: "not it" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('id="current-error">This is not your current password.');
    expect(await (await change({ password: "short", confirm: "short" })).text()).toContain("at least 10 characters");
    expect(await (await change({ confirm: "something else" })).text()).toContain(
      "The two new passwords are not the same.",
    );
    const ok = await change({});
    expect(ok.status).toBe(303);
    expect(await (await env.b.get(ok.headers.get("location")!.replace(/#.*/, ""))).text()).toContain(
      "Password changed.",
    );
    expect((await other.get("/admin")).status).toBe(303);
    expect((await env.browser().signIn()).status).toBe(401);
    expect((await env.browser().signIn(undefined, "a brand new password")).status).toBe(303);
  });

  test("guessing the current password is limited too", async () => {
    const env = await signedInBrowser();
    for (let i = 0; i < 5; i++)
      await env.b.post("/admin/password", {
        csrf: env.csrf,
        current: `guess ${i}`,
        password: "a brand new password",
        confirm: "a brand new password",
      });
    const limited = await env.b.post("/admin/password", {
      csrf: env.csrf,
      current: TEST_PASSWORD,
      password: "a brand new password",
      confirm: "a brand new password",
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
  });

  test("settings forms refuse a post without the session's token", async () => {
    const { b, csrf, db } = await signedInBrowser();
    expect((await b.post("/admin/settings", general(""))).status).toBe(403);
    expect((await b.post("/admin/settings/css", { css: "p{}" })).status).toBe(403);
    expect((await b.post("/admin/settings/domain", { domain: "x.example.com" })).status).toBe(403);
    expect(
      (
        await b.post("/admin/password", {
          current: TEST_PASSWORD,
          password: "a brand new password",
          confirm: "a brand new password",
        })
      ).status,
    ).toBe(403);
    expect((await b.post("/admin/settings", general(csrf), { origin: "https://evil.example" })).status).toBe(403);
    expect(getSettings(db()).title).toBe("alice's blog");
  });
});
