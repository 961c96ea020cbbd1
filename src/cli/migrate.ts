// `writekit migrate [NAME ...] [--all] [--dry-run]`: shows or applies pending migrations, blog by
// blog. Migrating one blog first is a canary; a failing blog is rolled back and the others go on.
import { existsSync } from "node:fs";
import "../blog/migrations.ts"; // the data steps migrate() runs after a migration's SQL
import { commonOptions } from "../config.ts";
import { migrate, MIGRATIONS, pendingMigrations, schemaVersion, type Migration } from "../tenants/migrate.ts";
import { listTenantNames, tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { trimWalIndex } from "../tenants/walindex.ts";
import { blogNameArg, err, exitCodesHelp, out, parse, usageError, type Command } from "./command.ts";
import { existingDataDir } from "./datadir.ts";

const usage = `Usage: writekit migrate [NAME ...] [--all] [--dry-run] [--data DIR]

Applies the migrations a blog's schema is missing, each in its own transaction.
  NAME ...    migrate these blogs (migrate one first as a canary)
  --all       migrate every blog
  --dry-run   only list what is pending for each blog

A blog is also migrated when \`writekit serve\` opens it.

${exitCodesHelp("a blog failed to migrate (it is left at its last good version) or there is no data directory")}`;

export interface MigrateReport {
  name: string;
  from: number | null;
  to: number | null;
  pending: string[];
  error?: string;
}

/** Migrates (or, with dryRun, inspects) each named blog; never throws for one blog's failure. */
export function migrateTenants(
  dataDir: string,
  names: TenantName[],
  options: { dryRun?: boolean; migrations?: readonly Migration[] } = {},
): MigrateReport[] {
  const migrations = options.migrations ?? MIGRATIONS;
  return names.map((name) => {
    const path = tenantPath(dataDir, name);
    if (!existsSync(path)) return { name, from: null, to: null, pending: [], error: "no such blog" };
    let db;
    try {
      db = openBlogDatabase(path, { readonly: options.dryRun });
    } catch (e) {
      return { name, from: null, to: null, pending: [], error: e instanceof Error ? e.message : String(e) };
    }
    let from: number | null = null;
    try {
      from = schemaVersion(db);
      const pending = pendingMigrations(db, migrations).map((m) => m.file);
      if (options.dryRun) return { name, from, to: from, pending };
      const result = migrate(db, migrations);
      return { name, from: result.from, to: result.to, pending };
    } catch (e) {
      let to: number | null = null;
      try {
        to = schemaVersion(db);
      } catch {}
      return { name, from, to, pending: [], error: e instanceof Error ? e.message : String(e) };
    } finally {
      db.close();
      // This process's only connection to the blog is closed (walindex.ts).
      if (!options.dryRun) trimWalIndex(path);
    }
  });
}

export const migrateCommand: Command = {
  name: "migrate",
  summary: "show or apply pending schema migrations",
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { ...commonOptions, all: { type: "boolean" }, "dry-run": { type: "boolean" } },
      "migrate",
    );
    if (values.help) return (out(usage), 0);
    if (values.all && positionals.length) throw usageError("give blog names or --all, not both", "migrate");
    if (!values.all && positionals.length === 0)
      throw usageError("name the blogs to migrate, or pass --all", "migrate");
    const named = positionals.map(blogNameArg);
    const dataDir = existingDataDir(values);
    const names: TenantName[] = values.all ? listTenantNames(dataDir) : named;
    const dryRun = Boolean(values["dry-run"]);
    const reports = migrateTenants(dataDir, names, { dryRun });
    let failed = 0;
    for (const r of reports) {
      if (r.error) {
        failed++;
        err(`${r.name}: FAILED${r.to !== null ? ` (left at version ${r.to})` : ""}: ${r.error}`);
      } else if (r.pending.length === 0) {
        out(`${r.name}: up to date (schema version ${r.from})`);
      } else if (dryRun) {
        out(`${r.name}: version ${r.from}, pending: ${r.pending.join(", ")}`);
      } else {
        out(`${r.name}: migrated ${r.from} → ${r.to} (${r.pending.join(", ")})`);
      }
    }
    const verb = dryRun ? "checked" : "migrated";
    out(
      `${reports.length - failed} of ${reports.length} blog${reports.length === 1 ? "" : "s"} ${verb}${failed ? `, ${failed} failed` : ""}`,
    );
    return failed ? 1 : 0;
  },
};
