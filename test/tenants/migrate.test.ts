import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { APPLICATION_ID, migrate, MIGRATIONS, MigrationError, NotABlogError, pendingMigrations, SCHEMA_VERSION, SchemaTooNewError, schemaVersion, splitStatements, type Migration } from "../../src/tenants/migrate.ts";
import { tempDir } from "../helpers.ts";

function freshDb(): Database {
  return new Database(join(tempDir(), "blog.db"), { create: true });
}

const extra: Migration[] = [
  ...MIGRATIONS,
  { version: SCHEMA_VERSION + 1, file: "9001_ai_summary.sql", sql: "ALTER TABLE posts ADD COLUMN ai_summary TEXT;\nCREATE INDEX posts_ai ON posts (ai_summary) WHERE ai_summary IS NOT NULL;" },
];

describe("migrations", () => {
  test("a new database is migrated to the latest version with the WriteKit application id", () => {
    const db = freshDb();
    const result = migrate(db);
    expect(result).toMatchObject({ from: 0, to: SCHEMA_VERSION });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect((db.query("PRAGMA application_id").get() as any).application_id).toBe(APPLICATION_ID);
    expect(pendingMigrations(db)).toEqual([]);
    for (const table of ["posts", "comments", "tags", "post_tags", "settings", "authors", "sessions", "daily_views", "posts_fts"]) {
      expect(db.query("SELECT name FROM sqlite_schema WHERE name = ?").get(table)).toBeTruthy();
    }
  });

  test("a blog behind the schema gets only the migrations it lacks", () => {
    const db = freshDb();
    migrate(db);
    expect(pendingMigrations(db, extra).map((m) => m.file)).toEqual(["9001_ai_summary.sql"]);
    const result = migrate(db, extra);
    expect(result).toMatchObject({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    db.run("INSERT INTO posts (slug, title, created_at, updated_at, ai_summary) VALUES ('a', 'A', 'now', 'now', 'x')");
  });

  test("a failing migration rolls back, keeps the old version and names the file and statement", () => {
    const db = freshDb();
    migrate(db);
    const broken: Migration[] = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, file: "0099_broken.sql", sql: "CREATE TABLE half_done (x);\nALTER TABLE nowhere ADD COLUMN y;" }];
    let error: unknown;
    try {
      migrate(db, broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).file).toBe("0099_broken.sql");
    expect((error as MigrationError).statement).toContain("ALTER TABLE nowhere");
    expect((error as Error).message).toContain("no such table");
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.query("SELECT name FROM sqlite_schema WHERE name = 'half_done'").get()).toBeNull();
  });

  test("a blog newer than this binary is refused and not written", () => {
    const db = freshDb();
    migrate(db);
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    expect(() => migrate(db)).toThrow(SchemaTooNewError);
    expect(() => migrate(db)).toThrow(/newer than this WriteKit supports/);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION + 5);
  });

  test("an SQLite file of another application is not taken for a blog", () => {
    const db = freshDb();
    db.run("CREATE TABLE notes (x)");
    expect(() => migrate(db)).toThrow(NotABlogError);
    const other = freshDb();
    other.run("PRAGMA application_id = 42");
    expect(() => migrate(other)).toThrow(/another application/);
  });

  test("statements split at semicolons, keeping triggers, strings and comments whole", () => {
    const sql = `-- a comment; with a semicolon
CREATE TABLE a (x TEXT DEFAULT 'a;b');
/* block; comment */
CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE a SET x = CASE WHEN new.x = ';' THEN 'y' ELSE 'z' END;
  INSERT INTO a VALUES ('q');
END;
CREATE INDEX i ON a (x)`;
    const parts = splitStatements(sql);
    expect(parts).toHaveLength(3);
    expect(parts[1]).toStartWith("/* block; comment */\nCREATE TRIGGER");
    expect(parts[1]).toEndWith("END;");
    expect(parts[2]).toBe("CREATE INDEX i ON a (x)");
    expect(splitStatements(MIGRATIONS[0].sql).length).toBeGreaterThan(10);
  });
});
