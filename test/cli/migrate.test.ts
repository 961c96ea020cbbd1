import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { migrateTenants } from "../../src/cli/migrate.ts";
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from "../../src/tenants/migrate.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { cli, makeBlog, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

function setVersion(data: string, name: string, version: number) {
  const db = new Database(join(data, "tenants", `${name}.db`));
  db.run(`PRAGMA user_version = ${version}`);
  db.close();
}

describe("writekit migrate", () => {
  test("up-to-date blogs, --dry-run and --all report per blog and exit 0", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    await makeBlog(data, "bob");
    const dry = await cli(["migrate", "--all", "--dry-run", "--data", data]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`alice: up to date (schema version ${SCHEMA_VERSION})`);
    expect(dry.stdout).toContain("2 of 2 blogs checked");
  });

  test("a blog newer than the binary is refused, named, and the others go on (exit 1)", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    await makeBlog(data, "future");
    setVersion(data, "future", SCHEMA_VERSION + 3);
    writeFileSync(join(data, "tenants", "broken.db"), "garbage".repeat(1000));
    const r = await cli(["migrate", "--all", "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("alice: up to date");
    expect(r.stderr).toContain("future: FAILED");
    expect(r.stderr).toContain("newer than this WriteKit supports");
    expect(r.stderr).toContain("broken: FAILED");
    expect(r.stdout).toContain("1 of 3 blogs migrated, 2 failed");
    const db = new Database(join(data, "tenants", "future.db"), { readonly: true });
    expect((db.query("PRAGMA user_version").get() as any).user_version).toBe(SCHEMA_VERSION + 3);
    db.close();
  });

  test("bad arguments are refused", async () => {
    const data = tempDir();
    mkdirSync(join(data, "tenants"));
    expect((await cli(["migrate", "--data", data])).stderr).toContain("or pass --all");
    expect((await cli(["migrate", "Bad", "--data", data])).stderr).toContain("upper-case");
    expect((await cli(["migrate", "nobody", "--data", data])).stderr).toContain("nobody: FAILED");
  });

  test("migrating one blog first (canary), then the rest; a failing one rolls back alone", async () => {
    const data = tempDir();
    for (const name of ["c1", "c2", "c3"]) await makeBlog(data, name);
    const next: Migration[] = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, file: "0002_summary.sql", sql: "ALTER TABLE posts ADD COLUMN summary TEXT;" },
    ];
    const canary = migrateTenants(data, [parseTenantName("c1")], { migrations: next });
    expect(canary).toEqual([
      { name: "c1", from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1, pending: ["0002_summary.sql"] },
    ]);
    // c2 already has the column (someone added it by hand), so the migration fails there only.
    const db = new Database(join(data, "tenants", "c2.db"));
    db.run("ALTER TABLE posts ADD COLUMN summary TEXT");
    db.close();
    const dry = migrateTenants(data, ["c1", "c2", "c3"].map(parseTenantName), { migrations: next, dryRun: true });
    expect(dry.map((r) => r.pending)).toEqual([[], ["0002_summary.sql"], ["0002_summary.sql"]]);
    const rest = migrateTenants(data, ["c2", "c3"].map(parseTenantName), { migrations: next });
    expect(rest[0].error).toContain("0002_summary.sql");
    expect(rest[0].error).toContain("duplicate column");
    expect(rest[0].to).toBe(SCHEMA_VERSION);
    expect(rest[1]).toMatchObject({ name: "c3", to: SCHEMA_VERSION + 1 });
  });
});
