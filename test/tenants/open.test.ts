import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migrate } from "../../src/tenants/migrate.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { tempDir } from "../helpers.ts";

describe("openBlogDatabase", () => {
  test("every blog is opened with trusted_schema off, cell_size_check on, and SQLite's defensive mode", () => {
    const path = join(tempDir(), "blog.db");
    const created = openBlogDatabase(path, { create: true });
    migrate(created);
    created.close();
    // Every way a blog is opened, the brief reader's exclusive connection included.
    for (const options of [{}, { readonly: true }, { immutable: true }, { exclusive: true }]) {
      const db = openBlogDatabase(path, options);
      try {
        expect(db.query("PRAGMA trusted_schema").get()).toEqual({ trusted_schema: 0 });
        expect(db.query("PRAGMA cell_size_check").get()).toEqual({ cell_size_check: 1 });
        // SQLITE_DBCONFIG_DEFENSIVE, which bun:sqlite sets on every connection (there is no API to
        // set it from here): a Bun upgrade that stops doing so fails this test.
        db.run("PRAGMA writable_schema = ON");
        expect(db.query("PRAGMA writable_schema").get()).toEqual({ writable_schema: 0 });
        expect(() => db.query("SELECT load_extension('x')").get()).toThrow("not authorized");
      } finally {
        db.close();
      }
    }
    const db = openBlogDatabase(path);
    try {
      // The FTS5 index is kept by triggers, which trusted_schema=OFF must allow.
      db.run("INSERT INTO posts (slug, title, body, created_at, updated_at) VALUES ('a', 'Hello', 'world', 'x', 'x')");
      db.run("UPDATE posts SET title = 'Greetings'");
      expect(db.query("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'greetings'").all()).toEqual([{ rowid: 1 }]);
      db.run("DELETE FROM posts");
      expect(db.query("SELECT count(*) AS n FROM posts_fts WHERE posts_fts MATCH 'greetings'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
