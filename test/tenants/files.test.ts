import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, linkSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { replaceTenantFile } from "../../src/tenants/files.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, tempDir } from "../helpers.ts";

function titles(db: Database): string[] {
  return (db.query("SELECT title FROM posts ORDER BY id").all() as { title: string }[]).map((r) => r.title);
}

/** A complete blog file "alice" with one post, built elsewhere and copied beside the live one, as restore stages it. */
async function stagedReplacement(tenants: string): Promise<string> {
  const other = tempDir();
  const path = await makeBlog(other, "alice");
  const db = openBlogDatabase(path);
  createPost(db, { title: "From the backup", body: "x", status: "published" });
  db.close();
  const temp = join(tenants, ".alice.1.2.restoring");
  copyFileSync(path, temp);
  return temp;
}

describe("replacing a blog's file", () => {
  test("a connection open on the old file keeps it, with its own -wal; the new file's connections never see the old -wal", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const old = openBlogDatabase(path);
    createPost(old, { title: "Only in the old -wal", body: "x", status: "published" });
    expect(titles(old)).toEqual(["Only in the old -wal"]);
    const release = replaceTenantFile(await stagedReplacement(join(data, "tenants")), path, "alice");
    try {
      // The old connection goes on with files nobody else can find any more.
      createPost(old, { title: "Written after the replace", body: "x", status: "published" });
      expect(titles(old)).toEqual(["Only in the old -wal", "Written after the replace"]);
    } finally {
      old.close();
      release();
    }
    const fresh = openBlogDatabase(path);
    expect(titles(fresh)).toEqual(["From the backup"]);
    expect(fresh.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    fresh.close();
    expect(readdirSync(join(data, "tenants")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  test("until released, the old file takes no new reader: one that was opening it gets SQLITE_BUSY instead of the new file's -wal", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    // A second name for the old file stands for a connection that opened it just before the rename.
    const oldName = join(tempDir(), "old.db");
    linkSync(path, oldName);
    const release = replaceTenantFile(await stagedReplacement(join(data, "tenants")), path, "alice");
    const late = new Database(oldName, { readonly: true });
    late.run("PRAGMA busy_timeout = 50");
    try {
      expect(() => late.query("SELECT count(*) FROM posts").get()).toThrow(
        expect.objectContaining({ code: "SQLITE_BUSY" }),
      );
    } finally {
      release();
    }
    expect(late.query("SELECT count(*) AS n FROM posts").get()).toEqual({ n: 0 });
    late.close();
  });

  test("a blog that is not there is simply put in place", async () => {
    const data = tempDir();
    await makeBlog(data, "bob");
    const path = join(data, "tenants", "alice.db");
    replaceTenantFile(await stagedReplacement(join(data, "tenants")), path, "alice")();
    expect(existsSync(path)).toBe(true);
  });
});
