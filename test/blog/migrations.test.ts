import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import "../../src/blog/migrations.ts";
import { addComment, listApprovedComments } from "../../src/blog/comments.ts";
import {
  createPost,
  deletePost,
  findRedirect,
  getPost,
  getVisiblePage,
  getVisiblePost,
  listVisiblePosts,
  listVisiblePostsFull,
  listVisiblePostsWithTag,
  updatePost,
} from "../../src/blog/posts.ts";
import { searchPosts } from "../../src/blog/search.ts";
import { applyViews } from "../../src/blog/views.ts";
import { dailyViews, totalViews } from "../../src/blog/stats.ts";
import { Pool } from "../../src/tenants/pool.ts";
import { BlogRegistry } from "../../src/tenants/registry.ts";
import { migrate, MIGRATIONS, MigrationError, SCHEMA_VERSION, schemaVersion } from "../../src/tenants/migrate.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { createHandler } from "../../src/app.ts";
import { createServices } from "../../src/server/services.ts";
import { emptyDataDir, cli, request, tempDir, testConfig } from "../helpers.ts";

const BODY = "Intro[^1].\n\n## Setup\n\n```ts\nconst a = 1;\n```\n\n[^1]: A note.\n";
/** What WriteKit 1 stored for BODY: plain code, no heading id, the footnote as text. */
const V1_HTML =
  '<p>Intro[^1].</p>\n<h2>Setup</h2>\n<pre><code class="language-ts">const a = 1;\n</code></pre>\n<p>[^1]: A note.</p>\n';

/** A blog file as WriteKit 1 left it: schema version 1, one published post with a fenced code block. */
function versionOneBlog(path: string): void {
  const db = openBlogDatabase(path, { create: true });
  migrate(db, MIGRATIONS.slice(0, 1));
  db.run(
    "INSERT INTO authors (email, password_hash, created_at) VALUES ('alice@example.com', '', '2024-01-01T00:00:00Z')",
  );
  db.query(
    "INSERT INTO posts (slug, title, body, html, excerpt, status, published_at, created_at, updated_at) VALUES ('code', 'Code', ?, ?, 'Intro[^1].', 'published', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')",
  ).run(BODY, V1_HTML);
  db.run(
    "INSERT INTO revisions (post_id, title, slug, body, created_at) VALUES (1, 'Code', 'code', 'old', '2024-01-01T00:00:00Z')",
  );
  db.close();
}

function postRow(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .query("SELECT html, excerpt, updated_at, kind, (SELECT count(*) FROM revisions) AS revisions FROM posts")
      .get() as { html: string; excerpt: string; updated_at: string; kind: string; revisions: number };
  } finally {
    db.close();
  }
}

function expectRerendered(path: string) {
  const row = postRow(path);
  expect(row.html).toContain('<pre><code class="language-ts"><span class="hljs-keyword">const</span>');
  expect(row.html).toContain('<h2 id="h-setup">');
  expect(row.html).toContain('<section class="footnotes">');
  expect(row.excerpt).toBe("Intro.");
  // The author changed nothing: no new revision, the same updated_at; and a post stays a post.
  expect(row).toMatchObject({ updated_at: "2024-01-02T00:00:00Z", revisions: 1, kind: "post" });
}

describe("migration 0002 re-renders old posts, so they look like new ones", () => {
  test("a version-1 blog with a fenced code block, migrated, has highlighted HTML; migrating again changes nothing", () => {
    const path = join(tempDir(), "alice.db");
    versionOneBlog(path);
    const db = openBlogDatabase(path);
    expect(migrate(db).applied.map((m) => m.file)).toEqual([
      "0002_authors.sql",
      "0003_views_applied.sql",
      "0004_session_clients_domain_proof.sql",
      "0005_posts_small_columns_first.sql",
    ]);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    const changes = (db.query("SELECT total_changes() AS n").get() as { n: number }).n;
    expect(migrate(db).applied).toEqual([]);
    expect((db.query("SELECT total_changes() AS n").get() as { n: number }).n).toBe(changes);
    db.close();
    expectRerendered(path);
  });

  test("without the blog's data step (a program that did not import blog/migrations.ts) the blog is left at version 1, untouched", () => {
    const path = join(tempDir(), "alice.db");
    versionOneBlog(path);
    const db = openBlogDatabase(path);
    expect(() => migrate(db, MIGRATIONS, new Map())).toThrow(MigrationError);
    expect(schemaVersion(db)).toBe(1);
    db.close();
    const v1 = new Database(path, { readonly: true });
    expect(v1.query("SELECT html FROM posts").get()).toEqual({ html: V1_HTML });
    v1.close();
  });

  test("the server's pool migrates a version-1 blog when it opens it, re-rendered", () => {
    const data = tempDir();
    mkdirSync(join(data, "tenants"));
    versionOneBlog(join(data, "tenants", "alice.db"));
    const pool = new Pool(new BlogRegistry({ dataDir: data }), { maxOpen: 2 });
    try {
      const post = getVisiblePost(pool.get(parseTenantName("alice")).db, "code", new Date());
      expect(post?.html).toContain('<span class="hljs-keyword">const</span>');
    } finally {
      pool.closeAll();
    }
  });

  test("`writekit migrate` re-renders (the CLI's entry point provides the step)", async () => {
    const data = tempDir();
    mkdirSync(join(data, "tenants"));
    versionOneBlog(join(data, "tenants", "alice.db"));
    const r = await cli(["migrate", "alice", "--data", data]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`alice: migrated 1 → ${SCHEMA_VERSION} (0002_authors.sql, `);
    expectRerendered(join(data, "tenants", "alice.db"));
  });

  test("`writekit import NAME FILE.db` of a version-1 export re-renders (in the snapshot Worker)", async () => {
    const file = join(tempDir(), "old.db");
    versionOneBlog(file);
    const data = emptyDataDir();
    const r = await cli(["import", "bob", file, "--password-stdin", "--data", data], {
      stdin: "a long enough passphrase\n",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`migrated from schema version 1 to ${SCHEMA_VERSION}`);
    expect(r.stdout).not.toContain("note:"); // a version-1 post has no kind column: it is read as a post, not noted
    expectRerendered(join(data, "tenants", "bob.db"));
  });
});

describe("migration 0004 keeps custom domains that were live before proofs", () => {
  test("a version-3 blog's custom domain is marked proven; a blog without one gets nothing; sessions gain client and user_agent", () => {
    const withDomain = openBlogDatabase(join(tempDir(), "alice.db"), { create: true });
    migrate(withDomain, MIGRATIONS.slice(0, 3));
    withDomain.run("INSERT INTO settings (key, value) VALUES ('custom_domain', 'alice.example.org')");
    migrate(withDomain);
    expect(withDomain.query("SELECT value FROM settings WHERE key = 'domain_proven'").get()).toEqual({
      value: "alice.example.org",
    });
    expect(
      (withDomain.query("SELECT name FROM pragma_table_info('sessions')").all() as { name: string }[]).map(
        (c) => c.name,
      ),
    ).toContain("user_agent");
    withDomain.close();
    const without = openBlogDatabase(join(tempDir(), "bob.db"), { create: true });
    migrate(without, MIGRATIONS.slice(0, 3));
    without.run("INSERT INTO settings (key, value) VALUES ('custom_domain', '')");
    migrate(without);
    expect(without.query("SELECT count(*) AS n FROM settings WHERE key = 'domain_proven'").get()).toEqual({ n: 0 });
    without.close();
  });
});

/** A blog file as WriteKit 4 left it: posts (one renamed, so a redirect), a page, a draft, tags, comments, views. */
function versionFourBlog(path: string): Database {
  const db = openBlogDatabase(path, { create: true });
  migrate(db, MIGRATIONS.slice(0, 4));
  const at = new Date("2025-03-01T10:00:00Z");
  const long = "A paragraph about SQLite overflow pages. ".repeat(400); // ~16 KB: spills into overflow pages
  const first = createPost(
    db,
    { title: "First", body: `Hello **world**.\n\n${long}`, tags: ["sqlite", "notes"], status: "published" },
    at,
  );
  createPost(
    db,
    { title: "Second", body: "Zebra crossings.", tags: ["notes"], status: "published" },
    new Date("2025-03-02T10:00:00Z"),
  );
  createPost(db, { title: "About", body: "Who writes here.", kind: "page", status: "published" }, at);
  createPost(db, { title: "Unfinished", body: "Draft text.", status: "draft" }, at);
  updatePost(
    db,
    first.id,
    {
      title: "First",
      slug: "first-post",
      body: `Hello **world**, again.\n\n${long}`,
      tags: ["sqlite", "notes"],
      status: "published",
    },
    { now: new Date("2025-03-03T10:00:00Z") },
  );
  addComment(db, { postId: first.id, name: "Reader", body: "Nice <b>post</b>", status: "approved" }, at);
  addComment(db, { postId: first.id, name: "Spammer", body: "buy", status: "pending" }, at);
  applyViews(db, "journal-a", [{ segment: 1, rows: [["2025-03-03", first.id, 7]] }]);
  return db;
}

/** Everything a reader or the author sees of the blog, to compare before and after a migration. */
function whatIsSeen(db: Database) {
  const now = new Date("2025-04-01T00:00:00Z");
  const first = getVisiblePost(db, "first-post", now)!;
  return {
    first,
    page: getVisiblePage(db, "about", now),
    home: listVisiblePosts(db, { limit: 10, offset: 0, now }),
    tag: listVisiblePostsWithTag(db, "notes", { limit: 10, offset: 0, now }),
    feed: listVisiblePostsFull(db, { limit: 10, now }),
    comments: listApprovedComments(db, first.id),
    redirect: findRedirect(db, "first", now),
    search: searchPosts(db, "overflow", { limit: 10, offset: 0, now }),
    draft: getPost(db, 4),
    views: [totalViews(db), dailyViews(db, now, 60).filter((d) => d.views > 0)],
  };
}

const columnsOf = (db: Database, table: string) =>
  (db.query("SELECT name FROM pragma_table_info(?)").all(table) as { name: string }[]).map((c) => c.name);

describe("migration 0005 puts the posts table's small columns first", () => {
  test("a version-4 blog keeps every post, tag, comment, redirect, view and search hit, with html and body last", () => {
    const db = versionFourBlog(join(tempDir(), "alice.db"));
    const before = whatIsSeen(db);
    expect(before.search.total).toBe(1);
    expect(columnsOf(db, "posts").slice(3, 6)).toEqual(["body", "html", "excerpt"]);
    expect(migrate(db).applied.map((m) => m.file)).toEqual(["0005_posts_small_columns_first.sql"]);
    expect(columnsOf(db, "posts")).toEqual([
      "id",
      "slug",
      "title",
      "kind",
      "status",
      "published_at",
      "created_at",
      "updated_at",
      "views",
      "excerpt",
      "html",
      "body",
    ]);
    expect(whatIsSeen(db)).toEqual(before);
    expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
    // The connection's foreign keys are on again, and still point at the rebuilt table: deleting
    // a post deletes its comments and tag links.
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    // The search triggers were made again: an edit is found by its new words, not its old ones.
    const second = getVisiblePost(db, "second", new Date("2025-04-01T00:00:00Z"))!;
    updatePost(db, second.id, { title: "Second", body: "Giraffes now.", tags: ["notes"], status: "published" });
    const now = new Date();
    expect(searchPosts(db, "giraffes", { limit: 10, offset: 0, now }).total).toBe(1);
    expect(searchPosts(db, "zebra", { limit: 10, offset: 0, now }).total).toBe(0);
    expect(deletePost(db, before.first.id)).toBe(true);
    expect(
      db
        .query("SELECT (SELECT count(*) FROM comments) AS c, (SELECT count(*) FROM post_tags WHERE post_id = ?) AS t")
        .get(before.first.id),
    ).toEqual({ c: 0, t: 0 });
    expect(searchPosts(db, "overflow", { limit: 10, offset: 0, now }).total).toBe(0);
    db.close();
  });

  test("a new blog has the same posts table, and the same schema, as a migrated one", () => {
    const migrated = versionFourBlog(join(tempDir(), "alice.db"));
    migrate(migrated);
    const fresh = openBlogDatabase(join(tempDir(), "bob.db"), { create: true });
    migrate(fresh);
    const schema = (db: Database) => db.query("SELECT type, name, sql FROM sqlite_schema ORDER BY name").all();
    expect(schema(fresh)).toEqual(schema(migrated));
    migrated.close();
    fresh.close();
  });

  test("a post row that breaks the table's rules (kind 'weird', written around the CHECK) stops it: the blog stays at version 4, untouched", () => {
    const path = join(tempDir(), "alice.db");
    const db = versionFourBlog(path);
    db.run("PRAGMA ignore_check_constraints = ON");
    db.run("UPDATE posts SET kind = 'weird' WHERE slug = 'second'");
    db.run("PRAGMA ignore_check_constraints = OFF");
    const error = (() => {
      try {
        migrate(db);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).file).toBe("0005_posts_small_columns_first.sql");
    expect((error as MigrationError).statement).toStartWith("INSERT INTO posts_new");
    expect((error as Error).message).toContain("CHECK constraint failed");
    expect(schemaVersion(db)).toBe(4);
    expect(columnsOf(db, "posts").slice(3, 6)).toEqual(["body", "html", "excerpt"]);
    expect(db.query("SELECT count(*) AS n FROM comments").get()).toEqual({ n: 2 });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    db.close();
  });

  test("foreign keys: errors a blog already had do not stop a migration; one a migration would make does", () => {
    const db = versionFourBlog(join(tempDir(), "alice.db"));
    // A comment on a post that does not exist, written by hand with foreign keys off.
    db.run("PRAGMA foreign_keys = OFF");
    db.run(
      "INSERT INTO comments (post_id, author_name, body, status, created_at) VALUES (999, 'x', 'y', 'approved', '2025-01-01T00:00:00Z')",
    );
    db.run("PRAGMA foreign_keys = ON");
    expect(migrate(db).to).toBe(5);
    // A migration that deletes a post with foreign keys off would orphan its comments: refused.
    const orphaning = [
      ...MIGRATIONS,
      { version: 6, file: "0006_test.sql", sql: "DELETE FROM posts WHERE slug = 'first-post';" },
    ];
    expect(() => migrate(db, orphaning)).toThrow(
      /0006_test.sql .*PRAGMA foreign_key_check.*7 row\(s\) referring to rows that do not exist/,
    );
    expect(schemaVersion(db)).toBe(5);
    expect(db.query("SELECT count(*) AS n FROM posts WHERE slug = 'first-post'").get()).toEqual({ n: 1 });
    db.close();
  });

  test("through the server: a version-4 blog is migrated on its first page; one whose rows stop the rebuild answers 503, untouched, and the other blogs answer", async () => {
    const data = tempDir();
    mkdirSync(join(data, "tenants"));
    versionFourBlog(join(data, "tenants", "alice.db")).close();
    const bob = versionFourBlog(join(data, "tenants", "bob.db"));
    bob.run("PRAGMA ignore_check_constraints = ON");
    bob.run("UPDATE posts SET kind = 'weird' WHERE slug = 'second'");
    bob.close();
    const services = createServices(testConfig(data));
    const handler = createHandler(services);
    try {
      const alice = await request(handler, "alice.localhost", "/first-post");
      expect(alice.status).toBe(200);
      expect(await alice.text()).toContain("Nice &lt;b&gt;post&lt;/b&gt;");
      const broken = await request(handler, "bob.localhost", "/");
      expect(broken.status).toBe(503);
      const html = await broken.text();
      expect(html).toContain("Blog unavailable");
      expect(html).not.toContain("    at ");
      expect((await request(handler, "alice.localhost", "/tags/notes")).status).toBe(200);
    } finally {
      services.pool.closeAll();
    }
    const versionOf = (name: string) => {
      const db = new Database(join(data, "tenants", `${name}.db`), { readonly: true });
      try {
        return [schemaVersion(db), (db.query("SELECT count(*) AS n FROM comments").get() as { n: number }).n];
      } finally {
        db.close();
      }
    };
    expect(versionOf("alice")).toEqual([5, 2]);
    expect(versionOf("bob")).toEqual([4, 2]);
  });
});
