import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { readFence, writeFence } from "../../src/blog/fence.ts";
import { parseTenantName, tenantPath } from "../../src/tenants/names.ts";
import { openBlogDatabase, ReplicatedFileError } from "../../src/tenants/open.ts";
import { BlogRegistry } from "../../src/tenants/registry.ts";
import { litestreamMetaDir } from "../../src/tenants/replication.ts";
import { runSnapshotJob } from "../../src/tenants/snapshot.ts";
import { makeBlog, tempDir } from "../helpers.ts";

const alice = parseTenantName("alice");

async function blog() {
  const data = tempDir();
  await makeBlog(data, "alice");
  return { data, path: tenantPath(data, alice) };
}

/** Writes one row, so the connection has a -wal to keep or not. */
function writeAndClose(db: Database): void {
  db.run(
    "INSERT INTO settings (key, value) VALUES ('title', 'x') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  db.close();
}

describe("replicated blogs (Litestream 0.3)", () => {
  test("a replicated connection keeps no -wal, never checkpoints by itself, and may not be exclusive", async () => {
    const { path } = await blog();
    const plain = openBlogDatabase(path);
    expect(plain.query("PRAGMA journal_size_limit").get()).toEqual({ journal_size_limit: 0 });
    writeAndClose(plain);
    expect(existsSync(path + "-wal")).toBe(true); // SQLITE_FCNTL_PERSIST_WAL: kept, cut to nothing

    const replicated = openBlogDatabase(path, { replicated: true });
    expect(replicated.query("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: 0 });
    expect(replicated.query("PRAGMA journal_size_limit").get()).toEqual({ journal_size_limit: -1 });
    writeAndClose(replicated);
    expect(existsSync(path + "-wal")).toBe(false); // the last close checkpoints and removes it, as SQLite does by default
    expect(() => openBlogDatabase(path, { exclusive: true, replicated: true })).toThrow(ReplicatedFileError);
  });

  test("a file Litestream has touched gets the same settings from every opener, flag or not", async () => {
    const { path } = await blog();
    mkdirSync(litestreamMetaDir(path));
    const db = openBlogDatabase(path);
    expect(db.query("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: 0 });
    db.close();
    expect(() => openBlogDatabase(path, { exclusive: true })).toThrow(ReplicatedFileError);

    // And a copy that carries Litestream's tables (a restored replica) without its meta directory.
    const { path: other } = await blog();
    const raw = new Database(other);
    raw.run("CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
    raw.close();
    const copy = openBlogDatabase(other);
    expect(copy.query("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: 0 });
    copy.close();
  });

  test("a replicated registry reads closed blogs on ordinary connections and never cuts the WAL index", async () => {
    const { data, path } = await blog();
    const registry = new BlogRegistry({ dataDir: data, replicated: true });
    expect(registry.read(alice, (t) => t.db.query("SELECT count(*) AS n FROM posts").get())).toEqual({ n: 0 });
    expect(registry.briefReads).toBe(0);
    using lease = registry.open(alice);
    writeAndClose(openBlogDatabase(path, { replicated: true }));
    lease.release();
    expect(registry.cuts).toBe(0);
    // Without the flag, the same blog under Litestream (its meta directory) is not read exclusively either.
    mkdirSync(litestreamMetaDir(path));
    const plain = new BlogRegistry({ dataDir: data });
    plain.read(alice, () => null);
    expect(plain.briefReads).toBe(0);
    expect(plain.cuts).toBe(0);
  });

  test("an export leaves out Litestream's tables and a move's fence", async () => {
    const { data, path } = await blog();
    const db = openBlogDatabase(path, { replicated: true });
    db.run(
      "CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER); CREATE TABLE _litestream_lock (id INTEGER)",
    );
    writeFence(db, "1:00112233445566778899aabb");
    db.close();
    const file = join(tempDir(), "alice.db");
    await runSnapshotJob({ kind: "export", dataDir: data, name: "alice", file });
    const copy = new Database(file, { readonly: true });
    expect(copy.query("SELECT name FROM sqlite_schema WHERE name LIKE '_litestream%'").all()).toEqual([]);
    expect(readFence(copy)).toBeNull();
    copy.close();
  });
});
