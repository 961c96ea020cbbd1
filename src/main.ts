#!/usr/bin/env bun
// argv → one command; nothing else (and the blog's migration steps provided to tenants/migrate.ts).
import "./blog/migrations.ts";
import { backupCommand } from "./cli/backup.ts";
import { checkCommand } from "./cli/check.ts";
import { err, EXIT_USAGE, explainError, out, type Command } from "./cli/command.ts";
import { domainsCommand } from "./cli/domains.ts";
import { exportCommand } from "./cli/export.ts";
import { importCommand } from "./cli/import.ts";
import { migrateCommand } from "./cli/migrate.ts";
import { nodeCommand } from "./cli/node.ts";
import { placementCommand } from "./cli/placement.ts";
import { restoreCommand } from "./cli/restore.ts";
import { serveCommand } from "./cli/serve.ts";
import { tenantCommand } from "./cli/tenant.ts";
import { VERSION } from "./version.ts";

const commands: Command[] = [
  serveCommand,
  tenantCommand,
  migrateCommand,
  exportCommand,
  backupCommand,
  restoreCommand,
  importCommand,
  checkCommand,
  domainsCommand,
  placementCommand,
  nodeCommand,
];

const usage = `WriteKit ${VERSION}: every blog is its own SQLite file.

Usage: writekit <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Every command takes --data DIR (env WRITEKIT_DATA, default ./data) and --help.
  writekit --version   print the version
Exit codes: 0 done; 1 failed (the error is one line on stderr); 2 a mistake on the command line.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") return (out(VERSION), 0);
  if (name === "--help" || name === "-h" || name === "help") return (out(usage), 0);
  if (name === undefined) return (err(usage), EXIT_USAGE);
  const command = commands.find((c) => c.name === name);
  if (!command)
    return (
      err(
        `writekit: unknown command "${name}"; the commands are ${commands.map((c) => c.name).join(", ")} (see: writekit --help)`,
      ),
      EXIT_USAGE
    );
  return command.run(rest);
}

// No top-level await: the compiled binary is bytecode, which is a CommonJS module.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const expected = explainError(e);
    if (expected) {
      err(`writekit: ${expected.message}`);
      process.exit(expected.exitCode);
    }
    // A bug: the stack is what a report of it needs.
    err(`writekit: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
