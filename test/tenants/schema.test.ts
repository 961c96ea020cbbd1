import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from "../../src/tenants/migrate.ts";
import { expectedSchema, schemaDifferences } from "../../src/tenants/schema.ts";

function blog(migrations: readonly Migration[] = MIGRATIONS): Database {
  const db = new Database(":memory:");
  migrate(db, migrations);
  return db;
}

/** A made-up second migration, as another developer might add one. */
const WITH_V2: Migration[] = [
  MIGRATIONS[0],
  {
    version: 2,
    file: "0002_test.sql",
    sql: "ALTER TABLE posts ADD COLUMN summary TEXT NOT NULL DEFAULT '';\nCREATE TABLE media (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);",
  },
];

describe("a blog file's schema compared with the migrations'", () => {
  test("a blog the migrations made has no differences, even after ANALYZE", () => {
    const db = blog();
    db.run("ANALYZE");
    expect(schemaDifferences(db, SCHEMA_VERSION)).toEqual({ extra: [], drops: [], changed: [] });
  });

  test("extra triggers, views, tables and indexes are named with the statement that drops them", () => {
    const db = blog();
    db.run("CREATE TABLE notes (x)");
    db.run("CREATE VIEW v AS SELECT 1");
    db.run("CREATE INDEX by_title ON posts (title)");
    db.run("CREATE TRIGGER t AFTER INSERT ON sessions BEGIN SELECT 1; END");
    expect(schemaDifferences(db, SCHEMA_VERSION)).toEqual({
      extra: ['index "by_title" on posts', 'table "notes"', 'trigger "t" on sessions', 'view "v"'],
      drops: ['DROP INDEX "by_title";', 'DROP TABLE "notes";', 'DROP TRIGGER "t";', 'DROP VIEW "v";'],
      changed: [],
    });
  });

  test("a table replaced by a view, a column added with a CHECK and a missing trigger are differences", () => {
    const db = blog();
    db.run("PRAGMA foreign_keys = OFF");
    db.run("DROP TABLE redirects");
    db.run("CREATE VIEW redirects AS SELECT 'x' AS old_slug, 1 AS post_id");
    db.run("ALTER TABLE comments ADD COLUMN extra TEXT CHECK (length(extra) < 100)");
    db.run("DROP TRIGGER posts_fts_delete");
    expect(schemaDifferences(db, SCHEMA_VERSION)).toEqual({
      extra: [],
      drops: [],
      changed: [
        `the table "comments" is defined differently from WriteKit's schema version ${SCHEMA_VERSION}`,
        `"redirects" is a view, where WriteKit's schema version ${SCHEMA_VERSION} has a table`,
        `the trigger "posts_fts_delete" on posts of WriteKit's schema version ${SCHEMA_VERSION} is missing`,
      ],
    });
  });

  test("an older file is compared with its own version, whose columns the importer reads", () => {
    const v1 = blog([MIGRATIONS[0]]);
    expect(schemaDifferences(v1, 1, WITH_V2)).toEqual({ extra: [], drops: [], changed: [] });
    expect(schemaDifferences(v1, 2, WITH_V2).changed).toEqual([
      'the table "posts" is defined differently from WriteKit\'s schema version 2',
      'the table "media" of WriteKit\'s schema version 2 is missing',
    ]);
    expect(expectedSchema(1, WITH_V2).columns.get("posts")?.has("summary")).toBe(false);
    expect(expectedSchema(2, WITH_V2).columns.get("posts")?.has("summary")).toBe(true);
    expect(expectedSchema(1, WITH_V2).columns.has("media")).toBe(false);
  });
});
