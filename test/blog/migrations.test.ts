import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import "../../src/blog/migrations.ts";
import { getVisiblePost } from "../../src/blog/posts.ts";
import { Pool } from "../../src/tenants/pool.ts";
import { BlogRegistry } from "../../src/tenants/registry.ts";
import { migrate, MIGRATIONS, MigrationError, SCHEMA_VERSION, schemaVersion } from "../../src/tenants/migrate.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { emptyDataDir, cli, tempDir } from "../helpers.ts";

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
