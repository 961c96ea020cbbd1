import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { insertAuthor } from "../../src/blog/authors.ts";
import { createPost } from "../../src/blog/posts.ts";
import { createSession } from "../../src/blog/sessions.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { cli, makeBlog, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

function localDay(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

describe("writekit export", () => {
  test("without -o it writes NAME-YYYY-MM-DD.db in the current folder and prints its size and sha256", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const cwd = tempDir();
    const r = await cli(["export", "alice", "--data", data], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = join(cwd, `alice-${localDay()}.db`);
    expect(readdirSync(cwd)).toEqual([`alice-${localDay()}.db`]);
    expect(r.stdout).toContain(`Exported "alice" to ${file}`);
    const sha = new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex");
    expect(r.stdout).toContain(`sha256 ${sha}`);
  });

  test("succeeds while another process holds a write transaction, and holds only committed posts", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const writer = openBlogDatabase(path);
    createPost(writer, { title: "Committed", body: "yes", status: "published" });
    writer.run("BEGIN IMMEDIATE");
    createPost(writer, { title: "In flight", body: "not yet", status: "published" });
    const file = join(tempDir(), "alice.db");
    const r = await cli(["export", "alice", "-o", file, "--data", data]);
    writer.run("COMMIT");
    writer.close();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 post,");
    const copy = new Database(file, { readonly: true });
    expect(copy.query("SELECT title FROM posts").all()).toEqual([{ title: "Committed" }]);
    expect(copy.query("SELECT password_hash FROM authors").all()).toEqual([{ password_hash: "" }]);
    copy.close();
  });

  test("refuses to overwrite a file, an unknown blog, a bad name and stray arguments, each with a clear message", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const out = tempDir();
    const existing = join(out, "taken.db");
    writeFileSync(existing, "keep me");

    const overwrite = await cli(["export", "alice", "-o", existing, "--data", data]);
    expect(overwrite.code).toBe(1);
    expect(overwrite.stderr).toBe(
      `writekit: ${existing} already exists; choose another file with -o or remove it first\n`,
    );
    expect(readFileSync(existing, "utf8")).toBe("keep me");

    const unknown = await cli(["export", "bob", "-o", join(out, "bob.db"), "--data", data]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('there is no blog named "bob"');
    expect(existsSync(join(out, "bob.db"))).toBe(false);

    const badName = await cli(["export", "../alice", "-o", join(out, "x.db"), "--data", data]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain("invalid blog name");

    const twoNames = await cli(["export", "alice", "bob", "--data", data]);
    expect(twoNames.code).toBe(2);
    expect(twoNames.stderr).toContain("export takes one blog NAME, got 2");

    const noFolder = await cli(["export", "alice", "-o", join(out, "missing", "a.db"), "--data", data]);
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toContain("does not exist");

    for (const r of [overwrite, unknown, badName, twoNames, noFolder]) expect(r.stderr).not.toContain("    at ");
    expect(readdirSync(out)).toEqual(["taken.db"]);
  });

  test("the file holds no session and no password hash, not even in its free pages; the live blog keeps both", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const db = openBlogDatabase(path);
    const second = insertAuthor(db, {
      email: "second@example.com",
      passwordHash: "$argon2id$v=19$m=4096,t=1,p=1$second-author-hash",
    });
    createSession(db, 1, new Date());
    createSession(db, second.id, new Date());
    const secrets = [
      ...(db.query("SELECT password_hash AS s FROM authors").all() as { s: string }[]),
      ...(db.query("SELECT token_hash AS s FROM sessions UNION ALL SELECT csrf_token FROM sessions").all() as {
        s: string;
      }[]),
    ].map((r) => r.s);
    db.close();
    expect(secrets).toHaveLength(6);
    const file = join(tempDir(), "alice.db");
    const r = await cli(["export", "alice", "-o", file, "--data", data]);
    expect(r.code).toBe(0);
    const copy = new Database(file, { readonly: true });
    expect(copy.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    expect(copy.query("SELECT email, password_hash FROM authors ORDER BY id").all()).toEqual([
      { email: "alice@example.com", password_hash: "" },
      { email: "second@example.com", password_hash: "" },
    ]);
    copy.close();
    const bytes = readFileSync(file);
    for (const secret of secrets) expect({ secret, found: bytes.includes(secret) }).toEqual({ secret, found: false });
    const live = new Database(path, { readonly: true });
    expect(live.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 2 });
    expect(live.query("SELECT count(*) AS n FROM authors WHERE password_hash != ''").get()).toEqual({ n: 2 });
    live.close();
  });
});
