// Every command's common mistakes, run as the user runs them: a child process. Each gets its
// documented exit code (1 failed, 2 a mistake on the command line) and one line on stderr that
// says what is wrong, never a stack trace.
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, makeBlog, tempDir } from "../helpers.ts";

// Each case starts `writekit` as a child process: a few hundred ms, seconds on a loaded machine.
setDefaultTimeout(60_000);

let data = "";
let missing = "";
let spare = "";

beforeAll(async () => {
  data = tempDir();
  await makeBlog(data, "alice");
  await makeBlog(data, "bob", { email: "bob@example.com" });
  // A second author, so `tenant password bob` must be told which one.
  const { Database } = await import("bun:sqlite");
  const db = new Database(join(data, "tenants", "bob.db"));
  db.run(
    "INSERT INTO authors (email, name, password_hash, created_at) VALUES ('robin@example.com', '', '', '2026-01-01T00:00:00Z')",
  );
  db.close();
  missing = join(tempDir(), "wrong");
  spare = tempDir();
  writeFileSync(join(spare, "notes.txt"), "not a backup");
});

/** DATA, MISSING and SPARE in arguments stand for a data directory with alice and bob, one that does not exist, and a folder with one file. */
type Case = [what: string, args: string[], code: 1 | 2, message: RegExp, stdin?: string];
const cases: Case[] = [
  ["an unknown command", ["publish"], 2, /^writekit: unknown command "publish"; the commands are serve, tenant/],
  [
    "serve: an unknown flag",
    ["serve", "--bogus", "--data", "DATA"],
    2,
    /^writekit: Unknown option '--bogus' \(see: writekit serve --help\)$/,
  ],
  [
    "serve: a port that is not a number",
    ["serve", "--port", "http", "--data", "DATA"],
    2,
    /^writekit: --port must be a whole number, got "http"$/,
  ],
  ["serve: an argument", ["serve", "alice", "--data", "DATA"], 2, /^writekit: serve takes no arguments, got: alice$/],
  [
    "tenant: no subcommand",
    ["tenant"],
    2,
    /^writekit: tenant needs a command: create, list, delete or password \(see: writekit tenant --help\)$/,
  ],
  [
    "tenant create: an existing name",
    ["tenant", "create", "alice", "--data", "DATA"],
    1,
    /^writekit: a blog named "alice" already exists$/,
  ],
  [
    "tenant create: a bad name",
    ["tenant", "create", "Alice", "--data", "DATA"],
    2,
    /^writekit: invalid blog name: "Alice" has upper-case letters/,
  ],
  [
    "tenant create: a reserved name",
    ["tenant", "create", "admin", "--data", "DATA"],
    2,
    /^writekit: invalid blog name: "admin" is a reserved name/,
  ],
  [
    "tenant create: no name",
    ["tenant", "create", "--data", "DATA"],
    2,
    /^writekit: tenant create needs a blog NAME \(see: writekit tenant --help\)$/,
  ],
  [
    "tenant create: an unknown flag",
    ["tenant", "create", "carol", "--bogus", "--data", "DATA"],
    2,
    /^writekit: Unknown option '--bogus' \(see: writekit tenant --help\)$/,
  ],
  [
    "tenant create: a bad email",
    ["tenant", "create", "carol", "--email", "carol", "--data", "DATA"],
    2,
    /^writekit: --email "carol" is not an email address/,
  ],
  [
    "tenant create: a short password",
    ["tenant", "create", "carol", "--password-stdin", "--data", "DATA"],
    2,
    /^writekit: the password on standard input is too short: the password must be at least 10 characters long$/,
    "short\n",
  ],
  [
    "tenant create: a bad domain",
    ["tenant", "create", "carol", "--domain", "not a domain", "--data", "DATA"],
    2,
    /^writekit: --domain "not a domain" is not a valid host name$/,
  ],
  [
    "tenant list: no data directory",
    ["tenant", "list", "--data", "MISSING"],
    1,
    /^writekit: no data directory at \S+\/wrong \(looked for \S+\/wrong\/tenants\); pass --data DIR or set WRITEKIT_DATA/,
  ],
  [
    "tenant list: an argument",
    ["tenant", "list", "alice", "--data", "DATA"],
    2,
    /^writekit: tenant list takes no arguments, got: alice/,
  ],
  [
    "tenant delete: no such blog",
    ["tenant", "delete", "zed", "--yes", "--data", "DATA"],
    1,
    /^writekit: there is no blog named "zed"$/,
  ],
  [
    "tenant delete: without --yes",
    ["tenant", "delete", "alice", "--data", "DATA"],
    2,
    /run again with --yes to confirm/,
  ],
  [
    "tenant delete: no data directory",
    ["tenant", "delete", "alice", "--yes", "--data", "MISSING"],
    1,
    /^writekit: no data directory at /,
  ],
  [
    "tenant password: no such blog",
    ["tenant", "password", "zed", "--data", "DATA"],
    1,
    /^writekit: there is no blog named "zed"$/,
  ],
  [
    "tenant password: no name",
    ["tenant", "password", "--data", "DATA"],
    2,
    /^writekit: tenant password needs a blog NAME/,
  ],
  [
    "tenant password: several authors and no --email",
    ["tenant", "password", "bob", "--data", "DATA"],
    2,
    /^writekit: the blog "bob" has 2 authors \(bob@example\.com, robin@example\.com\); choose one with --email/,
  ],
  [
    "tenant password: an email that is no author's",
    ["tenant", "password", "bob", "--email", "eve@example.com", "--data", "DATA"],
    1,
    /^writekit: the blog "bob" has no author with the email "eve@example\.com"; its authors: bob@example\.com, robin@example\.com$/,
  ],
  [
    "tenant password: no data directory",
    ["tenant", "password", "alice", "--data", "MISSING"],
    1,
    /^writekit: no data directory at /,
  ],
  [
    "migrate: neither names nor --all",
    ["migrate", "--data", "DATA"],
    2,
    /^writekit: name the blogs to migrate, or pass --all/,
  ],
  ["migrate: a bad name", ["migrate", "Bad", "--data", "DATA"], 2, /^writekit: invalid blog name/],
  ["migrate: no data directory", ["migrate", "--all", "--data", "MISSING"], 1, /^writekit: no data directory at /],
  [
    "export: no name",
    ["export", "--data", "DATA"],
    2,
    /^writekit: export takes one blog NAME \(see: writekit export --help\)$/,
  ],
  [
    "export: no such blog",
    ["export", "zed", "-o", "SPARE/zed.db", "--data", "DATA"],
    1,
    /^writekit: there is no blog named "zed" in /,
  ],
  [
    "export: a file that exists",
    ["export", "alice", "-o", "SPARE/notes.txt", "--data", "DATA"],
    1,
    /notes\.txt already exists; choose another file with -o or remove it first$/,
  ],
  ["export: no data directory", ["export", "alice", "--data", "MISSING"], 1, /^writekit: no data directory at /],
  [
    "backup: no -o",
    ["backup", "--data", "DATA"],
    2,
    /^writekit: backup needs a folder: -o DIR \(see: writekit backup --help\)$/,
  ],
  [
    "backup: a folder that is not empty",
    ["backup", "-o", "SPARE", "--data", "DATA"],
    1,
    /is not empty; back up into a new or empty folder$/,
  ],
  [
    "backup: no data directory",
    ["backup", "-o", "SPARE/new", "--data", "MISSING"],
    1,
    /^writekit: no data directory at /,
  ],
  ["restore: no folder", ["restore", "--data", "DATA"], 2, /^writekit: restore needs the backup folder/],
  [
    "restore: a folder that is no backup",
    ["restore", "SPARE", "--data", "DATA"],
    1,
    /has no manifest\.json; is it a folder written by `writekit backup`\?$/,
  ],
  [
    "restore: a folder that does not exist",
    ["restore", "MISSING", "--data", "DATA"],
    1,
    /^writekit: there is no backup folder at /,
  ],
  [
    "restore: a bad name",
    ["restore", "SPARE", "../x", "--data", "DATA"],
    2,
    /^writekit: invalid blog name: "\.\.\/x" looks like a path/,
  ],
  [
    "restore: an unknown flag",
    ["restore", "SPARE", "--overwrite", "--data", "DATA"],
    2,
    /^writekit: Unknown option '--overwrite' \(see: writekit restore --help\)$/,
  ],
  [
    "import: no arguments",
    ["import", "--data", "DATA"],
    2,
    /^writekit: import needs a blog NAME and a FILE\.db or Markdown files and folders/,
  ],
  [
    "import: a .db file that does not exist",
    ["import", "carol", "SPARE/gone.db", "--data", "DATA"],
    1,
    /gone\.db does not exist$/,
  ],
  [
    "import: a .db into an existing blog",
    ["import", "alice", "SPARE/gone.db", "--data", "DATA"],
    1,
    /^writekit: a blog named "alice" already exists; import under another name or delete it first$/,
  ],
  [
    "import: Markdown into a blog that does not exist",
    ["import", "zed", "SPARE/notes.txt", "--data", "DATA"],
    1,
    /^writekit: there is no blog named "zed"; Markdown is imported into an existing blog/,
  ],
  [
    "import: no data directory",
    ["import", "alice", "SPARE", "--data", "MISSING"],
    1,
    /^writekit: no data directory at /,
  ],
  ["check: a bad name", ["check", "Bad", "--data", "DATA"], 2, /^writekit: invalid blog name/],
  ["check: no data directory", ["check", "--data", "MISSING"], 1, /^writekit: no data directory at /],
  ["domains: no subcommand", ["domains", "--data", "DATA"], 2, /^writekit: domains needs a command first: rebuild/],
  ["domains: nothing at all", ["domains"], 2, /^writekit: domains needs a command: rebuild/],
  [
    "domains: an unknown subcommand",
    ["domains", "list", "--data", "DATA"],
    2,
    /^writekit: unknown domains command "list"; the only one is rebuild/,
  ],
  [
    "domains rebuild: no data directory",
    ["domains", "rebuild", "--data", "MISSING"],
    1,
    /^writekit: no data directory at /,
  ],
];

describe("every command's common mistakes", () => {
  // A rest parameter: bun takes a callback's fifth declared parameter for a `done` callback.
  test.each(cases)(
    "%s: its exit code and one line on stderr, no stack trace",
    async (...[, args, code, message, stdin]: Case) => {
      const argv = args.map((a) =>
        a
          .replace(/^DATA$/, data)
          .replace(/^MISSING/, missing)
          .replace(/^SPARE/, spare),
      );
      const r = await cli(argv, { stdin });
      expect(r.stderr).not.toContain("    at ");
      expect(r.stderr).not.toContain("unexpected error");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.code).toBe(code);
    },
  );
});
