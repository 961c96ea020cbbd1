import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
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
    expect(overwrite.stderr).toBe(`writekit: ${existing} already exists; choose another file with -o or remove it first\n`);
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
});
