import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { APPLICATION_ID } from "../../src/tenants/migrate.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { runSnapshotJob, SnapshotError } from "../../src/tenants/snapshot.ts";
import { makeBlog, tempDir } from "../helpers.ts";

const SESSION_HASH = "5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55";

async function blogWithSecrets(
  data: string,
  name = "alice",
  posts = 3,
): Promise<{ path: string; passwordHash: string }> {
  const path = await makeBlog(data, name);
  const db = openBlogDatabase(path);
  for (let i = 0; i < posts; i++) createPost(db, { title: `Post ${i}`, body: `Body ${i}`, status: "published" });
  db.query(
    "INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES (?, 1, 'csrf-secret-value', '2026-01-01T00:00:00Z', '2999-01-01T00:00:00Z')",
  ).run(SESSION_HASH);
  const { password_hash } = db.query("SELECT password_hash FROM authors").get() as { password_hash: string };
  db.close();
  return { path, passwordHash: password_hash };
}

describe("snapshots in a worker", () => {
  test("an export taken while another connection is mid-transaction holds exactly the committed rows", async () => {
    const data = tempDir();
    const { path } = await blogWithSecrets(data, "alice", 3);
    const writer = openBlogDatabase(path);
    writer.run("BEGIN IMMEDIATE");
    createPost(writer, { title: "Not committed yet", body: "x", status: "published" });
    const file = join(tempDir(), "alice.db");
    const entry = await runSnapshotJob({ kind: "export", dataDir: data, name: "alice", file });
    writer.run("COMMIT"); // the export neither waited for nor blocked the writer
    expect((writer.query("SELECT count(*) AS n FROM posts").get() as { n: number }).n).toBe(4);
    writer.close();
    expect(entry.posts).toBe(3);
    const copy = new Database(file, { readonly: true });
    expect(
      (copy.query("SELECT title FROM posts ORDER BY id").all() as { title: string }[]).map((p) => p.title),
    ).toEqual(["Post 0", "Post 1", "Post 2"]);
    expect(copy.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "delete" });
    expect(copy.query("PRAGMA application_id").get()).toEqual({ application_id: APPLICATION_ID });
    expect(copy.query("PRAGMA quick_check").get()).toEqual({ quick_check: "ok" });
    copy.close();
  });

  test("an export holds no sessions or password hashes, not even in free pages, and the live blog keeps its own", async () => {
    const data = tempDir();
    const { path, passwordHash } = await blogWithSecrets(data);
    const file = join(tempDir(), "alice.db");
    const entry = await runSnapshotJob({ kind: "export", dataDir: data, name: "alice", file });
    const copy = new Database(file, { readonly: true });
    expect(copy.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    expect(copy.query("SELECT password_hash FROM authors").all()).toEqual([{ password_hash: "" }]);
    copy.close();
    const bytes = readFileSync(file).toString("latin1");
    // Booleans, so a failure does not print the whole file.
    expect(bytes.includes(SESSION_HASH)).toBe(false);
    expect(bytes.includes("csrf-secret-value")).toBe(false);
    expect(bytes.includes(passwordHash.slice(-20))).toBe(false);
    expect(entry.sha256).toBe(new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex"));
    expect(entry.bytes).toBe(readFileSync(file).length);
    const live = new Database(path, { readonly: true });
    expect(live.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 1 });
    expect(live.query("SELECT password_hash FROM authors").get()).toEqual({ password_hash: passwordHash });
    live.close();
  });

  test("an export never replaces an existing file and leaves no temporary file behind", async () => {
    const data = tempDir();
    await blogWithSecrets(data);
    const out = tempDir();
    const file = join(out, "alice.db");
    writeFileSync(file, "precious");
    const job = runSnapshotJob({ kind: "export", dataDir: data, name: "alice", file });
    await expect(job).rejects.toBeInstanceOf(SnapshotError);
    await expect(runSnapshotJob({ kind: "export", dataDir: data, name: "alice", file })).rejects.toThrow(
      "already exists",
    );
    expect(readFileSync(file, "utf8")).toBe("precious");
    expect(readdirSync(out)).toEqual(["alice.db"]);
  });

  test("a file in the tenants folder that is not a blog is refused by name, not copied", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const other = new Database(join(data, "tenants", "notes.db"), { create: true });
    other.run("CREATE TABLE notes (body TEXT)");
    other.close();
    const out = tempDir();
    await expect(
      runSnapshotJob({ kind: "export", dataDir: data, name: "notes", file: join(out, "notes.db") }),
    ).rejects.toThrow("is not a WriteKit blog");
    expect(readdirSync(out)).toEqual([]);
  });
});
