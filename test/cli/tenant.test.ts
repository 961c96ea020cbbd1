import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCHEMA_VERSION } from "../../src/tenants/migrate.ts";
import { cli, makeServer, request, tempDir } from "../helpers.ts";

describe("writekit tenant", () => {
  test("create makes a migrated WAL blog with its first author, password from stdin", async () => {
    const data = tempDir();
    const r = await cli(["tenant", "create", "alice", "--email", "a@example.com", "--title", "Alice writes", "--password-stdin", "--data", data], { stdin: "a long enough passphrase\n" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("http://alice.localhost:3000/");
    expect(r.stdout).not.toContain("Password:");
    const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
    expect((db.query("PRAGMA journal_mode").get() as any).journal_mode).toBe("wal");
    expect((db.query("PRAGMA user_version").get() as any).user_version).toBe(SCHEMA_VERSION);
    const author = db.query("SELECT email, password_hash FROM authors").get() as any;
    expect(author.email).toBe("a@example.com");
    expect(author.password_hash).toStartWith("$argon2id$");
    expect(await Bun.password.verify("a long enough passphrase", author.password_hash)).toBe(true);
    expect((db.query("SELECT value FROM settings WHERE key = 'title'").get() as any).value).toBe("Alice writes");
    db.close();
    expect(readdirSync(join(data, "tenants")).filter((f) => f.includes("creating"))).toEqual([]);
  });

  test("create without a password generates one and prints it once", async () => {
    const data = tempDir();
    const r = await cli(["tenant", "create", "bob", "--data", data]);
    expect(r.code).toBe(0);
    const password = /Password:\s+(\S+)/.exec(r.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(16);
    const db = new Database(join(data, "tenants", "bob.db"), { readonly: true });
    const hash = (db.query("SELECT password_hash FROM authors").get() as any).password_hash;
    expect(await Bun.password.verify(password!, hash)).toBe(true);
    db.close();
  });

  test("an existing name is refused and the blog is left as it was", async () => {
    const data = tempDir();
    expect((await cli(["tenant", "create", "alice", "--title", "First", "--data", data])).code).toBe(0);
    const r = await cli(["tenant", "create", "alice", "--title", "Second", "--data", data]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('a blog named "alice" already exists');
    const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
    expect((db.query("SELECT value FROM settings WHERE key = 'title'").get() as any).value).toBe("First");
    db.close();
  });

  test.each([
    [["tenant", "create", "Alice"], /upper-case/],
    [["tenant", "create", "../evil"], /path/],
    [["tenant", "create", "admin"], /reserved/],
    [["tenant", "create"], /needs a blog NAME/],
    [["tenant", "create", "ok", "--email", "not-an-email"], /not an email/],
    [["tenant", "create", "ok", "--bogus"], /Unknown option/],
    [["tenant", "frobnicate"], /unknown tenant command/],
    [["tenant"], /needs a command/],
  ])("bad input %p: a clear message on stderr, exit != 0, nothing written", async (args, message) => {
    const data = tempDir();
    const r = await cli([...args, "--data", data]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("    at ");
    expect(existsSync(join(data, "tenants")) ? readdirSync(join(data, "tenants")) : []).toEqual([]);
  });

  test("a short password from stdin is refused before anything is written", async () => {
    const data = tempDir();
    const r = await cli(["tenant", "create", "alice", "--password-stdin", "--data", data], { stdin: "short\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("at least 10 characters");
    expect(existsSync(join(data, "tenants", "alice.db"))).toBe(false);
  });

  test("list shows name, size and schema version, as text and JSON", async () => {
    const data = tempDir();
    expect((await cli(["tenant", "list", "--data", data])).stdout).toContain("No blogs");
    await cli(["tenant", "create", "alice", "--data", data]);
    await cli(["tenant", "create", "bob", "--data", data]);
    writeFileSync(join(data, "tenants", "notes.txt"), "not a blog");
    const text = await cli(["tenant", "list", "--data", data]);
    expect(text.stdout).toMatch(new RegExp(`alice\\s+[\\d.]+ KiB\\s+${SCHEMA_VERSION}`));
    const json = JSON.parse((await cli(["tenant", "list", "--json", "--data", data])).stdout);
    expect(json.map((r: any) => r.name)).toEqual(["alice", "bob"]);
    expect(json[0].schema).toBe(SCHEMA_VERSION);
    expect(json[0].bytes).toBeGreaterThan(0);
  });

  test("delete needs --yes, then removes the database and its -wal/-shm", async () => {
    const data = tempDir();
    await cli(["tenant", "create", "alice", "--data", data]);
    const db = new Database(join(data, "tenants", "alice.db"));
    db.run("PRAGMA journal_mode = WAL");
    db.run("INSERT INTO settings VALUES ('x', 'y')"); // leaves -wal and -shm beside it
    const refused = await cli(["tenant", "delete", "alice", "--data", data]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--yes");
    expect(existsSync(join(data, "tenants", "alice.db"))).toBe(true);
    db.close();
    const r = await cli(["tenant", "delete", "alice", "--yes", "--data", data]);
    expect(r.code).toBe(0);
    expect(readdirSync(join(data, "tenants"))).toEqual([]);
    const again = await cli(["tenant", "delete", "alice", "--yes", "--data", data]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('no blog named "alice"');
  });

  test("delete releases the blog's custom domains, so a new blog of the same name does not inherit them", async () => {
    const data = tempDir();
    await cli(["tenant", "create", "alice", "--data", data]);
    writeFileSync(join(data, "domains.json"), JSON.stringify({ domains: { "alice.example.org": "alice", "bob.example.org": "bob" } }));
    const r = await cli(["tenant", "delete", "alice", "--yes", "--data", data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Released its custom domain alice.example.org");
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({ domains: { "bob.example.org": "bob" } });
    await cli(["tenant", "create", "alice", "--data", data]);
    const { handler } = makeServer(data);
    expect((await request(handler, "alice.example.org", "/")).status).toBe(404);
    // A blog removed by hand left its entry behind: creating one of that name releases it.
    writeFileSync(join(data, "domains.json"), JSON.stringify({ domains: { "carol.example.org": "carol" } }));
    const created = await cli(["tenant", "create", "carol", "--data", data]);
    expect(created.stdout).toContain('Released carol.example.org, which a former blog named "carol" had claimed');
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({ domains: {} });
  }, 30_000);

  test("--version, --help and WRITEKIT_DATA", async () => {
    expect((await cli(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const args of [["--help"], ["tenant", "create", "--help"], ["tenant", "list", "--help"], ["serve", "--help"], ["migrate", "--help"]]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage");
    }
    const data = tempDir();
    await cli(["tenant", "create", "envblog"], { env: { WRITEKIT_DATA: data } });
    expect(existsSync(join(data, "tenants", "envblog.db"))).toBe(true);
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  }, 30_000);
});
