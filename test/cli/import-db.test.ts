import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { insertAuthor } from "../../src/blog/authors.ts";
import { addComment } from "../../src/blog/comments.ts";
import { renderMarkdown } from "../../src/blog/markdown.ts";
import "../../src/blog/migrations.ts"; // 0002's data step, for making a version-2 file
import { mediaMarkdown, storeMedia } from "../../src/blog/media.ts";
import { setMenu } from "../../src/blog/menu.ts";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { migrate, MIGRATIONS, SCHEMA_VERSION } from "../../src/tenants/migrate.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { emptyDataDir, cli, makeServer, makeBlog, request, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

const PASSWORD = "a new long passphrase";
const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, "..", "fixtures", "media", name)));
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** What an author of schema version 2 or later adds: images (one shown in a post), a page, a menu and a quota. */
function addAuthorsWork(db: Database): void {
  const photo = storeMedia(db, fixture("photo.jpg"), { alt: "A photo" }).media;
  storeMedia(db, fixture("alpha.webp"), { alt: "Not used yet" });
  createPost(db, {
    title: "With a photo",
    body: `Look:\n\n${mediaMarkdown(photo)}`,
    status: "published",
    publishedAt: "2025-01-03T00:00:00Z",
  });
  createPost(db, { title: "About", body: "Who I am.", status: "published", kind: "page" });
  setMenu(db, [
    { label: "About", url: "/about" },
    { label: "Elsewhere", url: "https://example.com/" },
  ]);
  updateSettings(db, { media_quota_bytes: 2_000_000, icon: photo.sha256 });
}

/** A blog with posts, a page, tags, a comment, images, a menu and settings, exported through the CLI. */
async function exportedBlog(): Promise<{ data: string; file: string }> {
  const data = tempDir();
  const path = await makeBlog(data, "alice", { email: "alice@example.com", title: "Alice writes" });
  const db = openBlogDatabase(path);
  const post = createPost(db, {
    title: "Hello world",
    body: "First *post*.",
    tags: ["intro", "life"],
    status: "published",
    publishedAt: "2025-01-02T03:04:05Z",
  });
  createPost(db, { title: "A draft", body: "Not yet", status: "draft" });
  addComment(db, { postId: post.id, name: "Reader", body: "Nice!", status: "approved" });
  updateSettings(db, { description: "Notes from Alice", posts_per_page: 5 });
  addAuthorsWork(db);
  db.close();
  const file = join(tempDir(), "alice.db");
  const r = await cli(["export", "alice", "-o", file, "--data", data]);
  expect(r.code).toBe(0);
  return { data, file };
}

function dump(path: string) {
  const db = new Database(path, { readonly: true });
  const rows = {
    posts: db
      .query(
        "SELECT slug, title, body, html, status, kind, published_at, created_at, updated_at, views FROM posts ORDER BY id",
      )
      .all(),
    // The bytes by their SHA-256, computed here rather than trusting the row's own column.
    media: (
      db.query("SELECT sha256, type, bytes, width, height, alt, created_at, data FROM media ORDER BY rowid").all() as {
        data: Uint8Array;
      }[]
    ).map(({ data, ...row }) => ({ ...row, data: sha256(data) })),
    tags: db
      .query(
        "SELECT p.slug, t.name FROM post_tags JOIN posts p ON p.id = post_id JOIN tags t ON t.id = tag_id ORDER BY 1, 2",
      )
      .all(),
    comments: db.query("SELECT author_name, body, status, created_at FROM comments ORDER BY id").all(),
    settings: db.query("SELECT key, value FROM settings ORDER BY key").all(),
    search: db.query("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'hello'").all(),
  };
  db.close();
  return rows;
}

function leftovers(data: string): string[] {
  return readdirSync(join(data, "tenants")).filter((f) => f.startsWith("."));
}

describe("writekit import NAME FILE.db", () => {
  test("export then import on another instance gives the same blog, with the author's password from stdin", async () => {
    const { data, file } = await exportedBlog();
    const other = tempDir();
    mkdirSync(join(other, "tenants"));
    const r = await cli(["import", "bob", file, "--password-stdin", "--data", other], { stdin: PASSWORD + "\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Imported blog "bob" from ${file} into ${join(other, "tenants", "bob.db")} (4 posts, 2 images)`,
    );
    expect(r.stdout).toContain("as alice@example.com");
    expect(r.stdout).not.toContain("note:");
    expect(r.stdout).not.toContain("Password:");
    const imported = join(other, "tenants", "bob.db");
    const original = dump(join(data, "tenants", "alice.db"));
    expect(dump(imported)).toEqual(original);
    // What the comparison covers: a page, both images (the shown one sized in the post's HTML), the menu and the quota.
    expect(original.posts.map((p: any) => p.kind)).toEqual(["post", "post", "post", "page"]);
    expect(original.media.map((m: any) => m.data)).toEqual([
      sha256(fixture("photo.jpg")),
      sha256(fixture("alpha.webp")),
    ]);
    expect((original.posts[2] as any).html).toContain('width="40" height="30"');
    expect(original.settings).toContainEqual({
      key: "menu",
      value: JSON.stringify([
        { label: "About", url: "/about" },
        { label: "Elsewhere", url: "https://example.com/" },
      ]),
    });
    expect(original.settings).toContainEqual({ key: "media_quota_bytes", value: "2000000" });
    expect(original.settings).toContainEqual({ key: "icon", value: sha256(fixture("photo.jpg")) });
    const db = new Database(imported, { readonly: true });
    const { password_hash } = db.query("SELECT password_hash FROM authors").get() as { password_hash: string };
    expect(await Bun.password.verify(PASSWORD, password_hash)).toBe(true);
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    db.close();
    expect(leftovers(other)).toEqual([]);
    const { handler } = makeServer(other);
    const page = await request(handler, "bob.localhost", "/hello-world");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Hello world");
  }, 30_000);

  test("without --password-stdin a password is generated, printed once, and works", async () => {
    const { file } = await exportedBlog();
    const other = tempDir();
    mkdirSync(join(other, "tenants"));
    const r = await cli(["import", "bob", file, "--data", other]);
    expect(r.code).toBe(0);
    const password = /Password:\s+(\S+)/.exec(r.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(16);
    const db = new Database(join(other, "tenants", "bob.db"), { readonly: true });
    const { password_hash } = db.query("SELECT password_hash FROM authors").get() as { password_hash: string };
    db.close();
    expect(await Bun.password.verify(password!, password_hash)).toBe(true);
  }, 30_000);

  test("refuses an existing name, a file that is not SQLite, not a blog, damaged or from a newer WriteKit; nothing is created", async () => {
    const { data, file } = await exportedBlog();
    const dir = tempDir();
    const text = join(dir, "text.db");
    writeFileSync(text, "hello, I am not a database ".repeat(100));
    const foreign = join(dir, "foreign.db");
    const f = new Database(foreign, { create: true });
    f.run("CREATE TABLE notes (body TEXT)");
    f.close();
    const newer = join(dir, "newer.db");
    copyFileSync(file, newer);
    const n = new Database(newer);
    n.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    n.close();
    const damaged = join(dir, "damaged.db");
    copyFileSync(file, damaged);
    const d = new Database(damaged, { readonly: true });
    const { rootpage } = d.query("SELECT rootpage FROM sqlite_schema WHERE name = 'posts'").get() as {
      rootpage: number;
    };
    const { page_size } = d.query("PRAGMA page_size").get() as { page_size: number };
    d.close();
    const bytes = Bun.file(damaged);
    const buffer = Buffer.from(await bytes.arrayBuffer());
    buffer.fill(0x5a, (rootpage - 1) * page_size, rootpage * page_size);
    writeFileSync(damaged, buffer);

    const cases: [string[], number, string][] = [
      [["import", "alice", file], 1, 'a blog named "alice" already exists'],
      [["import", "bob", text], 1, `${text} is not an SQLite database`],
      [
        ["import", "bob", foreign],
        1,
        `${foreign} is not a WriteKit blog: it is an SQLite database but not a WriteKit blog`,
      ],
      [
        ["import", "bob", newer],
        1,
        `${newer} was written by a newer WriteKit: its schema is version ${SCHEMA_VERSION + 1}, newer than this WriteKit supports (${SCHEMA_VERSION})`,
      ],
      [["import", "bob", damaged], 1, `${damaged} is damaged`],
      [["import", "bob", join(dir, "missing.db")], 1, `${join(dir, "missing.db")} does not exist`],
      [["import", "bob", file, join(dir, "more.md")], 2, "an exported .db file is imported on its own"],
      [["import", "bob"], 2, "import needs a blog NAME and a FILE.db"],
      [["import", "Bob", file], 2, "invalid blog name"],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli([...args, "--data", data]);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain("    at ");
    }
    const short = await cli(["import", "bob", file, "--password-stdin", "--data", data], { stdin: "short\n" });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 10 characters");
    // Only alice: her -wal/-shm stay beside her file once opened (SQLITE_FCNTL_PERSIST_WAL).
    expect(readdirSync(join(data, "tenants")).filter((f) => !/-(wal|shm)$/.test(f))).toEqual(["alice.db"]);
  }, 60_000);

  test("prints the addresses --domain gives, and a file without an author gets author@NAME.DOMAIN", async () => {
    const { file } = await exportedBlog();
    const db = new Database(file);
    db.run("DELETE FROM authors");
    db.close();
    const other = tempDir();
    mkdirSync(join(other, "tenants"));
    const r = await cli(["import", "bob", file, "--domain", "blogs.example.com", "--data", other]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Read it at   https://bob.blogs.example.com/ ");
    expect(r.stdout).toContain(
      "Write at     https://bob.blogs.example.com/admin  as author@bob.blogs.example.com (the file had no author, so one was created)",
    );
  });
});

describe("writekit import of a file from an older WriteKit", () => {
  /** A blog file at schema version `version`, made by the migrations up to it, with one post and a comment. */
  function olderBlog(version: number, add: (db: Database) => void = () => {}): string {
    const file = join(tempDir(), `v${version}.db`);
    const db = openBlogDatabase(file, { create: true });
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= version),
    );
    insertAuthor(db, { email: "old@example.com", passwordHash: "" });
    // In SQL, as that version's WriteKit wrote it: createPost writes the kind, which version 1 has not.
    const body = "From *long* ago.";
    const t = "2024-01-01T00:00:00Z";
    db.query(
      "INSERT INTO posts (id, slug, title, body, html, excerpt, status, published_at, created_at, updated_at) VALUES (1, 'old-post', 'Old post', ?, ?, 'From long ago.', 'published', ?, ?, ?)",
    ).run(body, renderMarkdown(body), t, t, t);
    addComment(db, { postId: 1, name: "Reader", body: "Still here", status: "approved" });
    add(db);
    db.close();
    return file;
  }

  test("schema version 1 (no kind, no media) imports: every post is a post, no note", async () => {
    const file = olderBlog(1);
    const data = emptyDataDir();
    const r = await cli(["import", "bob", file, "--password-stdin", "--data", data], { stdin: PASSWORD + "\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(1 post, 0 images, migrated from schema version 1 to ${SCHEMA_VERSION})`);
    expect(r.stdout).not.toContain("note:");
    const rows = dump(join(data, "tenants", "bob.db"));
    expect(rows.posts).toMatchObject([{ slug: "old-post", kind: "post", html: "<p>From <em>long</em> ago.</p>\n" }]);
    expect(rows.comments).toMatchObject([{ body: "Still here" }]);
    expect(rows.media).toEqual([]);
  }, 30_000);

  test("schema version 2 (media and pages, no views_applied) imports with its images, page, menu and quota", async () => {
    const file = olderBlog(2, addAuthorsWork);
    const check = new Database(file, { readonly: true });
    expect(check.query("SELECT name FROM sqlite_schema WHERE name = 'views_applied'").all()).toEqual([]);
    check.close();
    const data = emptyDataDir();
    const r = await cli(["import", "bob", file, "--password-stdin", "--data", data], { stdin: PASSWORD + "\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(3 posts, 2 images, migrated from schema version 2 to ${SCHEMA_VERSION})`);
    expect(r.stdout).not.toContain("note:");
    const { search, ...imported } = dump(join(data, "tenants", "bob.db"));
    const { search: _, ...original } = dump(file);
    expect(imported).toEqual(original);
    expect(imported.posts.map((p: any) => p.kind)).toEqual(["post", "post", "page"]);
  }, 30_000);
});
