import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { SCHEMA_VERSION } from "../../src/tenants/migrate.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { cli, makeBlog, tempDir, TEST_PASSWORD } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

async function blogWithPosts(data: string, name: string, posts: number) {
  const path = await makeBlog(data, name);
  const db = openBlogDatabase(path);
  for (let i = 0; i < posts; i++) createPost(db, { title: `${name} ${i}`, body: "text", status: "published" });
  db.close();
}

describe("writekit backup", () => {
  test("writes every blog and a manifest whose sizes, hashes, versions and post counts match the files; password hashes kept, sessions not, owner-only", async () => {
    const data = tempDir();
    await blogWithPosts(data, "alice", 2);
    await blogWithPosts(data, "bob", 0);
    const live = new Database(join(data, "tenants", "alice.db"));
    live.run(
      "INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES ('x', 1, 'y', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')",
    );
    live.close();
    const dir = join(tempDir(), "backup");
    const r = await cli(["backup", "-o", dir, "--data", data]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Backed up 2 of 2 blogs to ${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["alice.db", "bob.db", "manifest.json"]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest.format).toBe(1);
    expect(manifest.failed).toEqual([]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(manifest.blogs.map((b: any) => [b.name, b.file, b.posts, b.schemaVersion])).toEqual([
      ["alice", "alice.db", 2, SCHEMA_VERSION],
      ["bob", "bob.db", 0, SCHEMA_VERSION],
    ]);
    for (const b of manifest.blogs) {
      const bytes = readFileSync(join(dir, b.file));
      expect(b.bytes).toBe(bytes.length);
      expect(b.sha256).toBe(new Bun.CryptoHasher("sha256").update(bytes).digest("hex"));
      expect(b.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const copy = new Database(join(dir, b.file), { readonly: true });
      const { password_hash } = copy.query("SELECT password_hash FROM authors").get() as { password_hash: string };
      expect(await Bun.password.verify(TEST_PASSWORD, password_hash)).toBe(true);
      expect(copy.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
      copy.close();
    }
  });

  test("a blog that cannot be copied is reported, the others are still written, and the exit code is 1", async () => {
    const data = tempDir();
    await blogWithPosts(data, "alice", 1);
    await blogWithPosts(data, "carol", 1);
    writeFileSync(join(data, "tenants", "broken.db"), "this is not an SQLite file ".repeat(200));
    const dir = join(tempDir(), "backup");
    const r = await cli(["backup", "-o", dir, "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("broken: FAILED: ");
    expect(r.stderr).not.toContain("    at ");
    expect(r.stdout).toContain("Backed up 2 of 3 blogs");
    expect(r.stdout).toContain("1 failed");
    expect(readdirSync(dir).sort()).toEqual(["alice.db", "carol.db", "manifest.json"]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest.blogs.map((b: any) => b.name)).toEqual(["alice", "carol"]);
    expect(manifest.failed.map((f: any) => f.name)).toEqual(["broken"]);
    expect(manifest.failed[0].error).toContain("not a database");
  });

  test("needs -o, and refuses a folder that is not empty", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const noDir = await cli(["backup", "--data", data]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain("backup needs a folder: -o DIR");
    const dir = tempDir();
    writeFileSync(join(dir, "old.txt"), "x");
    const full = await cli(["backup", "-o", dir, "--data", data]);
    expect(full.code).toBe(1);
    expect(full.stderr).toBe(`writekit: ${dir} is not empty; back up into a new or empty folder\n`);
    expect(existsSync(join(dir, "manifest.json"))).toBe(false);
  });

  test("a mistyped --data fails instead of backing up nothing: no data directory, exit 1, no folder made", async () => {
    const dir = join(tempDir(), "backup");
    const wrong = join(tempDir(), "wrong");
    const r = await cli(["backup", "-o", dir, "--data", wrong]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `writekit: no data directory at ${wrong} (looked for ${wrong}/tenants); pass --data DIR or set WRITEKIT_DATA (tenant create and restore make a new one)\n`,
    );
    expect(existsSync(dir)).toBe(false);
  });
});
