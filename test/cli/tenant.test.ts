import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCHEMA_VERSION } from "../../src/tenants/migrate.ts";
import { cli, makeServer, request, tempDir } from "../helpers.ts";
import { adminStatus, signIn, startServe } from "./serve-child.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

describe("writekit tenant", () => {
  test("create makes a migrated WAL blog with its first author, password from stdin", async () => {
    const data = tempDir();
    const r = await cli(
      [
        "tenant",
        "create",
        "alice",
        "--email",
        "a@example.com",
        "--title",
        "Alice writes",
        "--password-stdin",
        "--data",
        data,
      ],
      { stdin: "a long enough passphrase\n" },
    );
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
    mkdirSync(join(data, "tenants"));
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
    writeFileSync(
      join(data, "domains.json"),
      JSON.stringify({ domains: { "alice.example.org": "alice", "bob.example.org": "bob" } }),
    );
    const r = await cli(["tenant", "delete", "alice", "--yes", "--data", data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Released its custom domain alice.example.org");
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({
      domains: { "bob.example.org": "bob" },
    });
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
    for (const args of [
      ["--help"],
      ["tenant", "create", "--help"],
      ["tenant", "list", "--help"],
      ["serve", "--help"],
      ["migrate", "--help"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage");
    }
    // Every command but serve (whose file is not this branch's to change) documents its exit codes.
    for (const command of ["tenant", "migrate", "export", "backup", "restore", "import", "check", "domains"]) {
      const r = await cli([command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Exit codes: 0 done; 1 ");
    }
    const data = tempDir();
    await cli(["tenant", "create", "envblog"], { env: { WRITEKIT_DATA: data } });
    expect(existsSync(join(data, "tenants", "envblog.db"))).toBe(true);
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  test("create prints the addresses the configuration gives: --domain, --port, WRITEKIT_DOMAIN and PORT", async () => {
    const data = tempDir();
    const local = await cli(["tenant", "create", "alice", "--data", data], { env: { PORT: "8080" } });
    expect(local.stdout).toContain("Read it at   http://alice.localhost:8080/");
    expect(local.stdout).toContain("Write at     http://alice.localhost:8080/admin  as author@alice.localhost");
    expect(local.stdout).toContain('(from --domain/WRITEKIT_DOMAIN "localhost" and --port/PORT 8080');
    const flags = await cli([
      "tenant",
      "create",
      "bob",
      "--domain",
      "blogs.example.com",
      "--port",
      "3001",
      "--data",
      data,
    ]);
    expect(flags.stdout).toContain("Read it at   https://bob.blogs.example.com/ ");
    expect(flags.stdout).toContain("Write at     https://bob.blogs.example.com/admin  as author@bob.blogs.example.com");
    expect(flags.stdout).toContain(
      '(from --domain/WRITEKIT_DOMAIN "blogs.example.com": https through your TLS proxy, which forwards to --port/PORT 3001)',
    );
    const env = await cli(["tenant", "create", "carol", "--data", data], {
      env: { WRITEKIT_DOMAIN: "Blogs.Example.NET." },
    });
    expect(env.stdout).toContain("Read it at   https://carol.blogs.example.net/ ");
    const db = new Database(join(data, "tenants", "bob.db"), { readonly: true });
    expect(db.query("SELECT email FROM authors").all()).toEqual([{ email: "author@bob.blogs.example.com" }]);
    db.close();
  });

  test("password: a locked-out author gets a new password, printed once, and every browser of theirs is signed out, while serve runs", async () => {
    const data = tempDir();
    expect(
      (
        await cli(["tenant", "create", "alice", "--email", "alice@example.com", "--password-stdin", "--data", data], {
          stdin: "the forgotten passphrase\n",
        })
      ).code,
    ).toBe(0);
    const server = await startServe(data);
    try {
      const before = await signIn(server, "alice", "alice@example.com", "the forgotten passphrase");
      expect(before.status).toBe(303);
      expect(await adminStatus(server, "alice", before.session!)).toBe(200);
      const r = await cli(["tenant", "password", "alice", "--data", data]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `New password for alice@example.com on the blog "alice"; 1 session ended (signed out everywhere)`,
      );
      expect(r.stdout).toContain("Sign in at   http://alice.localhost:3000/admin");
      const password = /Password:\s+(\S+)/.exec(r.stdout)?.[1];
      expect(password?.length).toBeGreaterThanOrEqual(16);
      // The signed-in browser is signed out at its next request: sessions are read from the blog's file.
      expect(await adminStatus(server, "alice", before.session!)).toBe(303);
      expect((await signIn(server, "alice", "alice@example.com", "the forgotten passphrase")).status).toBe(401);
      expect((await signIn(server, "alice", "alice@example.com", password!)).status).toBe(303);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  test("password: with several authors --email chooses one (any case), the password may come from stdin, the others are untouched", async () => {
    const data = tempDir();
    expect(
      (
        await cli(["tenant", "create", "bob", "--email", "bob@example.com", "--password-stdin", "--data", data], {
          stdin: "bob's own passphrase\n",
        })
      ).code,
    ).toBe(0);
    const path = join(data, "tenants", "bob.db");
    const db = new Database(path);
    db.run(
      "INSERT INTO authors (email, name, password_hash, created_at) VALUES ('robin@example.com', '', '', '2026-01-01T00:00:00Z')",
    );
    db.run(
      "INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES ('a', 1, 'x', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z'), ('b', 2, 'y', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')",
    );
    db.close();
    const refused = await cli(["tenant", "password", "bob", "--data", data]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("has 2 authors (bob@example.com, robin@example.com); choose one with --email");
    const r = await cli(
      ["tenant", "password", "bob", "--email", "Robin@Example.com", "--password-stdin", "--data", data],
      { stdin: "robin's new passphrase\n" },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("Password:");
    const after = new Database(path, { readonly: true });
    const hashes = after.query("SELECT email, password_hash AS hash FROM authors ORDER BY id").all() as {
      email: string;
      hash: string;
    }[];
    expect(await Bun.password.verify("bob's own passphrase", hashes[0].hash)).toBe(true);
    expect(await Bun.password.verify("robin's new passphrase", hashes[1].hash)).toBe(true);
    expect(after.query("SELECT author_id FROM sessions").all()).toEqual([{ author_id: 1 }]);
    after.close();
  });
});
