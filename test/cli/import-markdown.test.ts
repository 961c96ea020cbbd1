import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, makeServer, makeBlog, request, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

const FIXTURES = join(import.meta.dir, "..", "fixtures", "import");

/** The fixture tree, plus what cannot live in git: hidden and node_modules folders, a dangling link, bad bytes. */
function siteCopy(): string {
  const site = join(tempDir("writekit-import-"), "site");
  cpSync(FIXTURES, site, { recursive: true });
  mkdirSync(join(site, ".obsidian"));
  writeFileSync(join(site, ".obsidian", "hidden-note.md"), "# Hidden\n");
  mkdirSync(join(site, "node_modules", "some-package"), { recursive: true });
  writeFileSync(join(site, "node_modules", "some-package", "readme.md"), "# A package\n");
  symlinkSync(join(site, "misc", "missing-target.md"), join(site, "misc", "dangling-link.md"));
  writeFileSync(join(site, "misc", "latin1.md"), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a])); // "Café" in Latin-1
  writeFileSync(join(site, "misc", "too-long-title.md"), `---\ntitle: "${"x".repeat(301)}"\n---\nBody\n`);
  return site;
}

function openPosts(data: string) {
  const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
  const posts = db.query("SELECT slug, title, status, published_at, body, html FROM posts ORDER BY slug").all() as {
    slug: string;
    title: string;
    status: string;
    published_at: string | null;
    body: string;
    html: string;
  }[];
  const tags = (slug: string) =>
    (
      db
        .query(
          "SELECT tags.name FROM tags JOIN post_tags ON tag_id = tags.id JOIN posts ON posts.id = post_id WHERE posts.slug = ? ORDER BY tags.name",
        )
        .all(slug) as { name: string }[]
    ).map((r) => r.name);
  const bySlug = (slug: string) => posts.find((p) => p.slug === slug)!;
  return { db, posts, tags, bySlug };
}

async function blogWithSite() {
  const data = tempDir();
  await makeBlog(data, "alice");
  return { data, site: siteCopy() };
}

describe("writekit import NAME PATH (Markdown)", () => {
  test("walks a folder of Jekyll, Hugo and Eleventy posts; one line per file, a summary, exit 1 for the bad ones", async () => {
    const { data, site } = await blogWithSite();
    const r = await cli(["import", "alice", site, "--data", data]);
    expect(r.code).toBe(1);
    const line = (path: string) =>
      r.stdout.split("\n").find((l) => l.includes(join(site, path) + " ")) ??
      r.stdout.split("\n").find((l) => l.includes(join(site, path) + ":"));
    expect(line("jekyll/_posts/2024-03-01-liquid-and-ruby.md")).toBe(
      `imported   ${join(site, "jekyll/_posts/2024-03-01-liquid-and-ruby.md")} → /liquid-and-ruby (removed Liquid {% include %}; image "x" not found (looked for ${join(site, "jekyll/_posts/x")}); its link is kept)`,
    );
    expect(line("hugo/content/posts/toml-post.md")).toEndWith("→ /toml-post (draft)");
    expect(line("eleventy/posts/future-post.md")).toEndWith("→ /future-post (scheduled for 2999-01-01T00:00:00Z)");
    expect(line("hugo/content/posts/bundled-post/index.md")).toEndWith("→ /bundled-post");
    expect(line("hugo/content/posts/_index.md")).toBe(
      `skipped    ${join(site, "hugo/content/posts/_index.md")}: a Hugo section page (_index.md), not a post`,
    );
    expect(r.stderr).toContain(
      `failed     ${join(site, "misc/broken-front-matter.md")}: its YAML front matter cannot be read`,
    );
    expect(r.stderr).toContain(`failed     ${join(site, "misc/dangling-link.md")}: no such file or folder`);
    expect(r.stderr).toContain(`failed     ${join(site, "misc/latin1.md")}: it is not UTF-8 text`);
    expect(r.stderr).toContain(
      `failed     ${join(site, "misc/too-long-title.md")}: The title is 301 characters long; the limit is 300.`,
    );
    expect(r.stderr).not.toContain("    at "); // no stack traces
    expect(r.stdout).not.toContain("hidden-note");
    expect(r.stdout).not.toContain("node_modules");
    expect(r.stdout).not.toContain("logo.png");
    expect(r.stdout).toContain(
      "alice: 11 imported, 0 updated, 0 unchanged, 1 skipped, 4 failed (1 file that is not Markdown ignored)",
    );

    const { db, posts, tags, bySlug } = openPosts(data);
    expect(posts.map((p) => p.slug)).toEqual([
      "bundled-post",
      "christmas-notes",
      "custom-yaml-slug",
      "eleventy-post",
      "future-post",
      "liquid-and-ruby",
      "no-front-matter",
      "plain-notes",
      "toml-post",
      "unfinished-thoughts",
      "unpublished",
    ]);
    expect(bySlug("liquid-and-ruby")).toMatchObject({
      title: "Liquid & Ruby on {{ site.title }}",
      status: "published",
      published_at: "2024-03-01T00:00:00Z",
    });
    expect(bySlug("christmas-notes")).toMatchObject({
      title: "Christmas notes",
      status: "published",
      published_at: "2023-12-24T09:00:00Z",
    });
    expect(bySlug("toml-post")).toMatchObject({
      title: "A TOML post",
      status: "draft",
      published_at: "2024-01-15T06:30:00Z",
    });
    expect(bySlug("custom-yaml-slug")).toMatchObject({
      title: "Hugo with YAML",
      status: "published",
      published_at: "2024-02-20T12:00:00Z",
    });
    expect(bySlug("eleventy-post")).toMatchObject({ status: "published", published_at: "2024-05-05T00:00:00Z" });
    expect(bySlug("future-post")).toMatchObject({ status: "scheduled", published_at: "2999-01-01T00:00:00Z" });
    expect(bySlug("unpublished").status).toBe("draft");
    expect(bySlug("unfinished-thoughts").status).toBe("draft");
    expect(bySlug("no-front-matter").title).toBe("Just a heading");
    expect(bySlug("plain-notes").title).toBe("Plain notes");
    expect(tags("liquid-and-ruby")).toEqual(["jekyll", "ruby"]);
    expect(tags("christmas-notes")).toEqual(["family", "food", "holidays"]);
    expect(tags("toml-post")).toEqual(["go", "programming", "static-sites"]);
    expect(tags("custom-yaml-slug")).toEqual(["hugo", "notes"]);
    expect(tags("eleventy-post")).toEqual(["eleventy", "javascript"]);

    const html = bySlug("liquid-and-ruby").html;
    expect(html).toContain(
      '<pre><code class="language-ruby"><span class="hljs-keyword">def</span> <span class="hljs-title function_">greet</span>',
    );
    expect(html).toContain("Templates look like {{ this }} and {% if that %}.");
    expect(html).toContain("Welcome to {{ site.title }}");
    expect(html).not.toContain("{% highlight");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert");
    expect(bySlug("toml-post").html).toContain('<pre><code class="language-go">');
    db.close();
  });

  test("an imported Jekyll post reads well on the blog: code highlighted, Liquid harmless, HTML as text", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    expect((await cli(["import", "alice", join(FIXTURES, "jekyll/_posts"), "--data", data])).code).toBe(0);
    const { handler, services } = makeServer(data);
    try {
      const res = await request(handler, "alice.localhost", "/liquid-and-ruby");
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('<code class="language-ruby">');
      expect(page).toContain("Liquid &amp; Ruby on {{ site.title }}");
      // In the page body the payload is text; in meta attributes it is a quoted value (quotes escaped), inert.
      const prose = page.slice(page.indexOf('<div class="prose">'), page.indexOf("</article>"));
      expect(prose).toContain("&lt;script&gt;alert");
      expect(prose).not.toContain("<script");
      expect(prose).not.toContain("<img");
      expect(page.match(/<script/g)?.length ?? 0).toBe(page.match(/content="[^"]*<script/g)?.length ?? 0);
      expect((await request(handler, "alice.localhost", "/tags/ruby")).status).toBe(200);
    } finally {
      services.pool.closeAll();
    }
  });

  test("a second run reports every post unchanged and adds no rows; an edited file is updated", async () => {
    const { data, site } = await blogWithSite();
    expect((await cli(["import", "alice", site, "--data", data])).code).toBe(1);
    const again = await cli(["import", "alice", site, "--data", data]);
    expect(again.code).toBe(1); // the same four bad files
    expect(again.stdout).toContain("alice: 0 imported, 0 updated, 11 unchanged, 1 skipped, 4 failed");
    expect(again.stdout).toContain(
      `unchanged  ${join(site, "jekyll/_posts/2024-03-01-liquid-and-ruby.md")} → /liquid-and-ruby`,
    );
    expect(again.stdout).not.toMatch(/^imported/m);
    let { db, posts } = openPosts(data);
    expect(posts.length).toBe(11);
    expect((db.query("SELECT count(*) AS n FROM revisions").get() as { n: number }).n).toBe(0);
    db.close();

    writeFileSync(join(site, "misc", "plain_notes.md"), "Edited since the last import.\n");
    const third = await cli(["import", "alice", join(site, "misc", "plain_notes.md"), "--data", data]);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(`updated    ${join(site, "misc", "plain_notes.md")} → /plain-notes`);
    ({ db, posts } = openPosts(data));
    expect(posts.length).toBe(11);
    expect(posts.find((p) => p.slug === "plain-notes")!.body).toBe("Edited since the last import.\n");
    db.close();
  });

  test("a clean folder and single files exit 0; a file named explicitly that is not Markdown is skipped", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const r = await cli([
      "import",
      "alice",
      join(FIXTURES, "jekyll"),
      join(FIXTURES, "hugo/content/posts/yaml-post.md"),
      join(FIXTURES, "jekyll/assets/logo.png"),
      "--data",
      data,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `skipped    ${join(FIXTURES, "jekyll/assets/logo.png")}: not a Markdown file (.md or .markdown)`,
    );
    expect(r.stdout).toContain(
      "alice: 5 imported, 0 updated, 0 unchanged, 1 skipped, 0 failed (1 file that is not Markdown ignored)",
    );
  });

  test("a missing path fails on its own line and the other paths are still imported", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const missing = join(data, "no-such-folder");
    const r = await cli(["import", "alice", missing, join(FIXTURES, "misc/no-front-matter.md"), "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`failed     ${missing}: no such file or folder`);
    expect(r.stdout).toContain("alice: 1 imported, 0 updated, 0 unchanged, 0 skipped, 1 failed");
  });

  test("two files with one slug: the first is imported, the second fails instead of overwriting it", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const dir = tempDir();
    writeFileSync(join(dir, "a.md"), "---\ntitle: First\nslug: same\n---\nOne\n");
    writeFileSync(join(dir, "b.md"), "---\ntitle: Second\nslug: same\n---\nTwo\n");
    const r = await cli(["import", "alice", dir, "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `failed     ${join(dir, "b.md")}: its slug "same" is already taken by ${join(dir, "a.md")} in this import`,
    );
    const { db, posts } = openPosts(data);
    expect(posts.map((p) => p.title)).toEqual(["First"]);
    db.close();
  });

  test("real archives: Ruby-style dates import, and an unreadable front matter with a dated file name imports with that date, said on its line", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const dir = tempDir();
    writeFileSync(join(dir, "rfc.md"), "---\ntitle: RFC date\ndate: Mon, 3 Mar 2014 15:30:00 +0100\n---\nOne\n");
    writeFileSync(join(dir, "us.md"), "---\ntitle: US date\ndate: March 3, 2014\n---\nTwo\n");
    // An unquoted colon in the title: YAML cannot read it, Jekyll published the post anyway.
    writeFileSync(
      join(dir, "2014-03-05-broken-yaml.md"),
      "---\ntitle: Ruby: a love story\ntags: [ruby\n---\n# Ruby, a love story\n\nThree\n",
    );
    writeFileSync(join(dir, "undated-broken.md"), "---\ntitle: a: b: c\n---\nFour\n");
    const r = await cli(["import", "alice", dir, "--data", data]);
    expect(r.stdout).toContain(`imported   ${join(dir, "rfc.md")} → /rfc`);
    expect(r.stdout).toMatch(
      new RegExp(
        `imported   ${join(dir, "2014-03-05-broken-yaml.md")} → /broken-yaml \\(its YAML front matter cannot be read \\(.+\\): imported without it, dated by its file name\\)`,
      ),
    );
    expect(r.stderr).toContain(`failed     ${join(dir, "undated-broken.md")}: its YAML front matter cannot be read`);
    expect(r.stdout).toContain("alice: 3 imported, 0 updated, 0 unchanged, 0 skipped, 1 failed");
    const { db, bySlug } = openPosts(data);
    expect(bySlug("rfc").published_at).toBe("2014-03-03T14:30:00Z");
    expect(bySlug("us").published_at).toBe("2014-03-03T00:00:00Z");
    expect(bySlug("broken-yaml")).toMatchObject({
      title: "Ruby, a love story",
      published_at: "2014-03-05T00:00:00Z",
      status: "published",
      body: "Three\n",
    });
    db.close();
  });

  test("a blog that does not exist is refused with a hint, and no file is created", async () => {
    const data = tempDir();
    mkdirSync(join(data, "tenants"));
    const r = await cli(["import", "nobody", FIXTURES, "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('there is no blog named "nobody"');
    expect(r.stderr).toContain("writekit tenant create nobody");
    expect(existsSync(join(data, "tenants", "nobody.db"))).toBe(false);
  });

  test("a bad blog name or no paths is a usage error", async () => {
    const data = tempDir();
    const bad = await cli(["import", "../etc", FIXTURES, "--data", data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("invalid blog name");
    await makeBlog(data, "alice");
    const none = await cli(["import", "alice", "--data", data]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "import needs a blog NAME and a FILE.db or Markdown files and folders (see: writekit import --help)",
    );
  });
});
