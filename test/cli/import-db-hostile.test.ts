// `writekit import NAME FILE.db` with files made by someone else: nothing in them runs, and what
// they carry is rebuilt or refused. Each file is a real blog changed with sqlite, then copied the
// way an export is (VACUUM INTO).
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { xml2js } from "xml-js";
import { renderMarkdown } from "../../src/blog/markdown.ts";
import { MEDIA_LIMITS } from "../../src/blog/media.ts";
import { saveDomains } from "../../src/tenants/domains.ts";
import { SCHEMA_VERSION } from "../../src/tenants/migrate.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { emptyDataDir, BUN, makeBlog, REPO, tempDir } from "../helpers.ts";

const PASSWORD = "a new long passphrase";

/** A blog file changed by `change` (run with plain bun:sqlite, as an attacker's sqlite3 would). */
async function fileWith(change: (db: Database) => void): Promise<string> {
  const data = tempDir();
  const path = await makeBlog(data, "source", { email: "owner@example.com" });
  const db = new Database(path);
  change(db);
  const file = join(tempDir(), "blog.db");
  db.run("VACUUM INTO ?", [file]);
  db.close();
  return file;
}

const NOW = "2025-01-01T00:00:00Z";
function addPost(
  db: Database,
  post: { id: number; slug: string; title: string; body?: string; html?: string; excerpt?: string },
) {
  db.query(
    "INSERT INTO posts (id, slug, title, body, html, excerpt, status, published_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?)",
  ).run(
    post.id,
    post.slug,
    post.title,
    post.body ?? "Text.",
    post.html ?? "<p>Text.</p>",
    post.excerpt ?? "Text.",
    NOW,
    NOW,
    NOW,
  );
}

/** The CLI as a child process that cannot outlive the test: killed after `timeoutMs`. */
async function importFile(data: string, name: string, file: string, timeoutMs = 20_000) {
  const started = performance.now();
  const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "import", name, file, "--password-stdin", "--data", data], {
    stdin: new Blob([PASSWORD + "\n"]),
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr, ms: performance.now() - started };
}

function blogFiles(data: string): string[] {
  return existsSync(join(data, "tenants")) ? readdirSync(join(data, "tenants")) : [];
}

describe("import of a .db file someone else made", () => {
  test("a trigger that never ends (through a recursive view) is refused at once, named, and nothing is created", async () => {
    const file = await fileWith((db) => {
      db.run(
        "CREATE VIEW forever AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) AS c FROM n",
      );
      db.run("CREATE TRIGGER hang AFTER UPDATE OF views ON posts BEGIN SELECT c FROM forever; END");
    });
    const data = emptyDataDir();
    const r = await importFile(data, "bob", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${file} is not imported: it has 2 objects that WriteKit's migrations do not create (view "forever"; trigger "hang" on posts). Nothing in it was run.`,
    );
    expect(r.stderr).toContain(
      'Nothing in it was run. If you added them yourself, remove them with sqlite3 (DROP VIEW "forever"; DROP TRIGGER "hang";) and import again.',
    );
    expect(r.stderr).not.toContain("    at ");
    expect(r.ms).toBeLessThan(15_000);
    expect(blogFiles(data)).toEqual([]);
  }, 30_000);

  test("a trigger planting a session token, one restoring password hashes, a changed WriteKit trigger and an extra index are each refused", async () => {
    const files = {
      sessions: await fileWith((db) =>
        db.run(
          "CREATE TRIGGER plant AFTER INSERT ON sessions BEGIN INSERT OR IGNORE INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES ('known', new.author_id, 'x', new.created_at, '2999-01-01T00:00:00Z'); END",
        ),
      ),
      hashes: await fileWith((db) =>
        db.run(
          "CREATE TRIGGER unblank AFTER UPDATE OF password_hash ON authors BEGIN UPDATE authors SET password_hash = old.password_hash WHERE id = old.id; END",
        ),
      ),
      changed: await fileWith((db) => {
        db.run("DROP TRIGGER posts_fts_update");
        db.run(
          "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN UPDATE authors SET password_hash = 'known'; END",
        );
      }),
      index: await fileWith((db) => db.run("CREATE INDEX my_index ON posts (title)")),
    };
    const data = emptyDataDir();
    const results = Object.fromEntries(
      await Promise.all(
        Object.entries(files).map(async ([k, f]) => [k, await importFile(data, `bob-${k}`, f)] as const),
      ),
    );
    for (const r of Object.values(results)) expect(r.code).toBe(1);
    expect(results.sessions.stderr).toContain('trigger "plant" on sessions');
    expect(results.hashes.stderr).toContain('trigger "unblank" on authors');
    expect(results.changed.stderr).toContain(
      `its schema differs from WriteKit's: the trigger "posts_fts_update" on posts is defined differently from WriteKit's schema version ${SCHEMA_VERSION}. Nothing in it was run. Export the blog again from the WriteKit it came from`,
    );
    expect(results.index.stderr).toContain('index "my_index" on posts');
    expect(results.index.stderr).toContain('DROP INDEX "my_index";');
    expect(blogFiles(data)).toEqual([]);
    // Following the message works: without the index the same file is imported.
    const db = new Database(files.index);
    db.run('DROP INDEX "my_index"');
    db.close();
    const again = await importFile(data, "bob", files.index);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
  }, 60_000);

  test("stored HTML, bad slugs and redirects, feed breakers, settings, authors and sessions are rebuilt; a reader never gets //evil.com", async () => {
    const file = await fileWith((db) => {
      addPost(db, {
        id: 1,
        slug: "hello",
        title: "Hello",
        body: "Plain *text*.",
        html: '<meta http-equiv="refresh" content="0;url=https://evil.com"><script>alert(1)</script>',
        excerpt: "<script>alert(2)</script>",
      });
      addPost(db, { id: 2, slug: "/evil.com", title: "Evil one" });
      addPost(db, { id: 3, slug: "//evil.com", title: "Evil two" });
      addPost(db, {
        id: 4,
        slug: "breaker",
        title: "Breaking ]]> </title> out",
        body: "Body ]]> </content> <script>alert(3)</script>",
      });
      db.run(
        "INSERT INTO redirects (old_slug, post_id) VALUES ('/evil.com', 1), ('moved', 3), ('old-evil', 2), ('hello', 4)",
      );
      db.run("INSERT INTO tags (id, name) VALUES (7, '  Foo Bar!! '), (8, '!!!')");
      db.run("INSERT INTO post_tags (post_id, tag_id) VALUES (1, 7), (1, 8)");
      db.run(
        "INSERT INTO comments (post_id, author_name, author_email, body, status, created_at) VALUES (1, 'Reader', 'not-an-email', 'Nice', 'approved', ?)",
        [NOW],
      );
      db.run("PRAGMA ignore_check_constraints = ON");
      db.run(
        "INSERT INTO comments (post_id, author_name, body, status, created_at) VALUES (1, 'Spammer', 'Buy', 'shown', ?)",
        [NOW],
      );
      db.run("PRAGMA ignore_check_constraints = OFF");
      db.run(
        "INSERT INTO settings (key, value) VALUES ('custom_domain', 'evil.example.com'), ('posts_per_page', '1000'), ('comment_policy', 'yes'), ('time_zone', 'Mars/Olympus'), ('custom_css', 'body { color: red }</style><script>'), ('evil', 'x'), ('domain_proven', 'evil.example.com'), ('domain_token', 'not a token')",
      );
      db.run(
        `INSERT INTO settings (key, value) VALUES ('menu', '[{"label": "About", "url": "/about"}, {"label": "Click", "url": "javascript:alert(1)"}]'), ('media_quota_bytes', '-5'), ('icon', '../../etc/passwd')`,
      );
      db.run("UPDATE authors SET password_hash = '$argon2id$known'");
      db.run(
        "INSERT INTO authors (email, name, password_hash, created_at) VALUES ('second@example.com', 'Second', '$argon2id$known', ?), ('not an email', 'Third', '', ?)",
        [NOW, NOW],
      );
      db.run(
        "INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES ('known', 1, 'x', ?, '2999-01-01T00:00:00Z')",
        [NOW],
      );
    });
    const data = emptyDataDir();
    await makeBlog(data, "victim");
    saveDomains(data, new Map([["evil.example.com", parseTenantName("victim")]]));
    const r = await importFile(data, "bob", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const note of [
      'note: the custom domain "evil.example.com" was left out: it belongs to the blog "victim" on this server',
      'note: the setting posts_per_page "1000" is not a whole number from 1 to 100; the default 10 applies',
      'note: the setting comment_policy "yes" is not moderate, approve or off; comments are held for moderation',
      'note: the setting time_zone "Mars/Olympus" is not a time zone; UTC applies',
      'note: the custom CSS had "<" characters, which were removed',
      'note: the setting "evil" is not one WriteKit has; it was left out',
      "was left out: Link 2's URL must be a path like /about, or an http, https or mailto address\n",
      'note: the setting media_quota_bytes "-5" is not a whole number of bytes; the default 524288000 (500 MiB) applies',
      'note: the icon "../../etc/passwd" is not the SHA-256 of an image; the blog uses the default icon',
      'note: the custom domain "evil.example.com" was proven on another server; it must be proven again here (Settings, Check now) before the blog answers at it',
      'note: the setting domain_token "not a token" is not a token WriteKit makes; a new one is made when a domain is claimed',
      'note: author 3 was left out: "not an email" is not an email address',
      'note: post 2: its slug "/evil.com" is not a valid slug (lower-case letters, digits and single hyphens); it is now /evil-com',
      'note: post 3: its slug "//evil.com" is not a valid slug (lower-case letters, digits and single hyphens); it is now /evil-com-2',
      'note: the tag "!!!" has no letters or digits; it was left out',
      'note: comment 2: its status "shown" is not pending, approved or spam; it waits for moderation',
      'note: the redirect from "/evil.com" was left out: it is not a valid slug',
    ])
      expect(r.stdout).toContain(note);
    expect(r.stdout).toMatch(/note: the menu "\[\{.*…" was left out: Link 2's URL/);

    const db = new Database(join(data, "tenants", "bob.db"), { readonly: true });
    const posts = db.query("SELECT id, slug, html, excerpt FROM posts ORDER BY id").all() as {
      id: number;
      slug: string;
      html: string;
      excerpt: string;
    }[];
    expect(posts.map((p) => p.slug)).toEqual(["hello", "evil-com", "evil-com-2", "breaker"]);
    expect(posts[0].html).toBe(renderMarkdown("Plain *text*."));
    expect(posts[0].excerpt).toBe("Plain text.");
    // The excerpt is plain text (escaped where it is shown), made again from the new HTML.
    for (const p of posts)
      expect({ html: p.html, excerpt: p.excerpt }).toEqual({
        html: expect.not.stringMatching(/<script|<meta/),
        excerpt: expect.not.stringContaining("alert(2)"),
      });
    expect(db.query("SELECT old_slug, post_id FROM redirects ORDER BY old_slug").all()).toEqual([
      { old_slug: "moved", post_id: 3 },
      { old_slug: "old-evil", post_id: 2 },
    ]);
    expect(db.query("SELECT name FROM tags").all()).toEqual([{ name: "foo-bar" }]);
    expect(db.query("SELECT author_email, status FROM comments ORDER BY id").all()).toEqual([
      { author_email: null, status: "approved" },
      { author_email: null, status: "pending" },
    ]);
    expect(db.query("SELECT key, value FROM settings WHERE key != 'title' ORDER BY key").all()).toEqual([
      { key: "custom_css", value: "body { color: red }/style>script>" },
    ]);
    expect(db.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    const authors = db.query("SELECT email, password_hash FROM authors ORDER BY id").all() as {
      email: string;
      password_hash: string;
    }[];
    expect(authors.map((a) => a.email)).toEqual(["owner@example.com", "second@example.com"]);
    expect(await Bun.password.verify(PASSWORD, authors[0].password_hash)).toBe(true);
    expect(authors[1].password_hash).toBe("");
    expect(db.query("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'plain'").all()).toEqual([{ rowid: 1 }]);
    expect(
      db.query("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') ORDER BY name").all().length,
    ).toBe(3);
    db.close();

    // What a reader gets, from a real server.
    const server = await serve(data);
    try {
      const get = (path: string) =>
        fetch(`http://127.0.0.1:${server.port}${path}`, {
          headers: { host: `bob.localhost:${server.port}` },
          redirect: "manual",
        });
      const offSite: string[] = [];
      for (const path of ["/moved", "/old-evil", "//evil.com", "/evil.com", "/%2Fevil.com", "/%2F%2Fevil.com"]) {
        const location = (await get(path)).headers.get("location") ?? "";
        if (/^\/[\/\\]/.test(location)) offSite.push(`${path} → ${location}`);
      }
      expect(offSite).toEqual([]);
      expect((await get("/moved")).headers.get("location")).toBe("/evil-com-2");
      expect((await get("/old-evil")).headers.get("location")).toBe("/evil-com");
      const hello = await get("/hello");
      expect(hello.status).toBe(200);
      const html = await hello.text();
      expect(html).toContain("<em>text</em>");
      expect(html).not.toContain("http-equiv");
      expect(html).not.toContain("alert(");
      const feed = await get("/feed.xml");
      expect(feed.status).toBe(200);
      const doc: any = xml2js(await feed.text(), { compact: true });
      // Atom titles are type="html": the parsed text is HTML, whose own text is the title.
      const unescape = (h: string) =>
        h
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">")
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, "&");
      const entry = [doc.feed.entry].flat().find((e: any) => e.id._text.endsWith(":post:4"));
      expect(unescape(entry.title._text ?? entry.title._cdata)).toBe("Breaking ]]> </title> out");
      expect(entry.content._text ?? entry.content._cdata).toContain("Body ]]&gt; &lt;/content&gt;");
    } finally {
      await server.stop();
    }
  }, 60_000);
  test("images whose rows lie are corrected or left out, each with a note; a kind that is neither post nor page makes a post", async () => {
    const fixture = (name: string) =>
      new Uint8Array(readFileSync(join(import.meta.dir, "..", "fixtures", "media", name)));
    const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    const jpeg = fixture("photo.jpg");
    const png = fixture("photo.png");
    const gif = fixture("still.gif");
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    const cut = png.slice(0, 40);
    const huge = new Uint8Array(MEDIA_LIMITS.fileBytes + 1);
    huge.set(png);
    const alt = "word ".repeat(200);
    const file = await fileWith((db) => {
      const put = db.query(
        "INSERT INTO media (sha256, type, bytes, width, height, alt, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      put.run(sha256(jpeg), "image/png", jpeg.length, 40, 30, "A JPEG called a PNG", NOW, jpeg);
      put.run(sha256(png), "image/png", png.length, 99999, 2, alt, NOW, png);
      put.run(
        sha256(png).replace(/^./, (c) => (c === "0" ? "1" : "0")),
        "image/gif",
        gif.length,
        5,
        4,
        "",
        NOW,
        gif,
      );
      put.run(sha256(svg), "image/png", svg.length, 10, 10, "", NOW, svg);
      put.run(sha256(cut), "image/png", cut.length, 3, 2, "", NOW, cut);
      put.run(sha256(huge), "image/png", huge.length, 3, 2, "", NOW, huge);
      addPost(db, { id: 1, slug: "photo", title: "Photo", body: `![A photo](/media/${sha256(png)}.png)` });
      addPost(db, { id: 2, slug: "about", title: "About" });
      addPost(db, { id: 3, slug: "odd", title: "Odd" });
      db.run("UPDATE posts SET kind = 'page' WHERE id = 2");
      db.run("PRAGMA ignore_check_constraints = ON");
      db.run("UPDATE posts SET kind = 'widget' WHERE id = 3");
      db.run("PRAGMA ignore_check_constraints = OFF");
      db.run("INSERT INTO settings (key, value) VALUES ('media_quota_bytes', '100'), ('icon', ?)", [sha256(svg)]);
    });
    const data = emptyDataDir();
    const r = await importFile(data, "bob", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(3 posts, 2 images)");
    const lostImage = "was left out, so a post that shows it shows nothing there";
    for (const note of [
      `note: the image ${sha256(jpeg)}: its type was recorded as "image/png" but is image/jpeg; corrected, so its URL is now /media/${sha256(jpeg)}.jpg`,
      `note: the image ${sha256(png)}: its size in pixels was recorded as "99999" × "2" but is 3 × 2; corrected`,
      `note: the image ${sha256(png)}: its alt text had 999 characters; it was cut to ${MEDIA_LIMITS.alt}`,
      `note: the image ${sha256(png).replace(/^./, (c) => (c === "0" ? "1" : "0"))} ${lostImage}: the SHA-256 of its bytes is ${sha256(gif)}, not the one it is stored under`,
      `note: the image ${sha256(svg)} ${lostImage}: it is an SVG image (SVG can carry scripts), not a JPEG, PNG, GIF, WebP or AVIF image`,
      `note: the image ${sha256(cut)} ${lostImage}: This PNG is damaged or cut short`,
      `note: the image ${sha256(huge)} ${lostImage}: it is ${huge.length} bytes; an image may be at most ${MEDIA_LIMITS.fileBytes}`,
      `note: the images take ${jpeg.length + png.length} bytes, more than the blog's quota of 100 (the setting media_quota_bytes); all were kept`,
      'note: post 3: its kind "widget" is not post or page; it is a post',
      `note: the icon ${sha256(svg)} is not among the images kept; the blog uses the default icon`,
    ])
      expect(r.stdout).toContain(note);

    const db = new Database(join(data, "tenants", "bob.db"), { readonly: true });
    const media = db
      .query("SELECT sha256, type, bytes, width, height, length(alt) AS alt, data FROM media ORDER BY rowid")
      .all() as {
      sha256: string;
      type: string;
      bytes: number;
      width: number;
      height: number;
      alt: number;
      data: Uint8Array;
    }[];
    expect(media.map(({ data, ...m }) => ({ ...m, data: sha256(data) }))).toEqual([
      {
        sha256: sha256(jpeg),
        type: "image/jpeg",
        bytes: jpeg.length,
        width: 40,
        height: 30,
        alt: "A JPEG called a PNG".length,
        data: sha256(jpeg),
      },
      {
        sha256: sha256(png),
        type: "image/png",
        bytes: png.length,
        width: 3,
        height: 2,
        alt: MEDIA_LIMITS.alt,
        data: sha256(png),
      },
    ]);
    expect(db.query("SELECT id, kind FROM posts ORDER BY id").all()).toEqual([
      { id: 1, kind: "post" },
      { id: 2, kind: "page" },
      { id: 3, kind: "post" },
    ]);
    // The post's image is sized from the corrected row, not the 99999 the file claimed.
    expect((db.query("SELECT html FROM posts WHERE id = 1").get() as { html: string }).html).toContain(
      'width="3" height="2"',
    );
    expect(db.query("SELECT value FROM settings WHERE key = 'media_quota_bytes'").get()).toEqual({ value: "100" });
    expect(db.query("SELECT value FROM settings WHERE key = 'icon'").get()).toBeNull();
    db.close();
  }, 60_000);
});

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** `writekit serve` as a child process, ready to answer. */
async function serve(data: string) {
  const port = await freePort();
  const proc = Bun.spawn(
    [BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"],
    { stdout: "ignore", stderr: "ignore" },
  );
  const stop = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
  };
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) return { port, stop };
    await Bun.sleep(50);
  }
  await stop();
  throw new Error("writekit serve did not answer /healthz");
}
