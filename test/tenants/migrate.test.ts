import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  APPLICATION_ID,
  migrate,
  MIGRATIONS,
  MigrationError,
  NotABlogError,
  pendingMigrations,
  SCHEMA_VERSION,
  SchemaTooNewError,
  schemaVersion,
  splitStatements,
  type DataStep,
  type Migration,
} from "../../src/tenants/migrate.ts";
import { tempDir } from "../helpers.ts";

function freshDb(): Database {
  return new Database(join(tempDir(), "blog.db"), { create: true });
}

const extra: Migration[] = [
  ...MIGRATIONS,
  {
    version: SCHEMA_VERSION + 1,
    file: "9001_ai_summary.sql",
    sql: "ALTER TABLE posts ADD COLUMN ai_summary TEXT;\nCREATE INDEX posts_ai ON posts (ai_summary) WHERE ai_summary IS NOT NULL;",
  },
];

describe("migrations", () => {
  test("a new database is migrated to the latest version with the WriteKit application id", () => {
    const db = freshDb();
    const result = migrate(db);
    expect(result).toMatchObject({ from: 0, to: SCHEMA_VERSION });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect((db.query("PRAGMA application_id").get() as any).application_id).toBe(APPLICATION_ID);
    expect(pendingMigrations(db)).toEqual([]);
    for (const table of [
      "posts",
      "comments",
      "tags",
      "post_tags",
      "settings",
      "authors",
      "sessions",
      "daily_views",
      "posts_fts",
    ]) {
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
    const broken: Migration[] = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        file: "0099_broken.sql",
        sql: "CREATE TABLE half_done (x);\nALTER TABLE nowhere ADD COLUMN y;",
      },
    ];
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

describe("data steps: JavaScript that follows a migration's SQL", () => {
  // A blog at the current version with one row, and a next migration whose SQL adds a column a
  // data step must fill (as 0002's step re-renders posts: SQL cannot run the renderer).
  const next: Migration[] = [
    ...MIGRATIONS,
    {
      version: SCHEMA_VERSION + 1,
      file: "9002_shout.sql",
      sql: "ALTER TABLE posts ADD COLUMN loud TEXT;",
      dataStep: "fill loud titles",
    },
  ];
  const fill: DataStep = (db) => void db.run("UPDATE posts SET loud = upper(title)");
  function blogWithAPost(): Database {
    const db = freshDb();
    migrate(db, MIGRATIONS, new Map());
    db.run("INSERT INTO posts (slug, title, created_at, updated_at) VALUES ('a', 'quiet', 'now', 'now')");
    return db;
  }

  test("the step runs after the SQL, in the same transaction, once", () => {
    const db = blogWithAPost();
    let runs = 0;
    const steps = new Map<number, DataStep>([
      [SCHEMA_VERSION + 1, (d) => (runs++, fill(d), expect(d.inTransaction).toBe(true))],
    ]);
    expect(migrate(db, next, steps).to).toBe(SCHEMA_VERSION + 1);
    expect(db.query("SELECT loud FROM posts").get()).toEqual({ loud: "QUIET" });
    expect(migrate(db, next, steps).applied).toEqual([]);
    expect(runs).toBe(1);
  });

  test("a failing step rolls its migration's SQL back too and names the step", () => {
    const db = blogWithAPost();
    const steps = new Map<number, DataStep>([
      [
        SCHEMA_VERSION + 1,
        () => {
          throw new Error("renderer broke");
        },
      ],
    ]);
    const error = (() => {
      try {
        migrate(db, next, steps);
      } catch (e) {
        return e as MigrationError;
      }
    })();
    expect(error).toBeInstanceOf(MigrationError);
    expect(error!.message).toContain("9002_shout.sql failed at: (data step: fill loud titles) — renderer broke");
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.query("SELECT count(*) AS n FROM pragma_table_info('posts') WHERE name = 'loud'").get()).toEqual({
      n: 0,
    });
  });

  test("a blog with data is never migrated without its step: refused before anything is written", () => {
    const db = blogWithAPost();
    expect(() => migrate(db, next, new Map())).toThrow(
      /9002_shout.sql failed at: \(data step\) — its data step \(fill loud titles\) was not provided to this program, so the blog was left at version/,
    );
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.query("SELECT count(*) AS n FROM pragma_table_info('posts') WHERE name = 'loud'").get()).toEqual({
      n: 0,
    });
  });

  test("a brand-new database needs no step: it has no data written by an older version", () => {
    const db = freshDb();
    expect(migrate(db, next, new Map()).to).toBe(SCHEMA_VERSION + 1);
  });
});
