// `writekit export NAME [-o FILE]`: a consistent copy of one blog, safe while the server runs.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { commonOptions } from "../config.ts";
import { runSnapshotJob, SnapshotError } from "../tenants/snapshot.ts";
import { blogNameArg, CliError, exitCodesHelp, formatBytes, out, parse, usageError, type Command } from "./command.ts";
import { existingDataDir } from "./datadir.ts";

const usage = `Usage: writekit export NAME [-o FILE] [--data DIR]

Writes a consistent copy of the blog NAME to FILE, safe while \`writekit serve\` runs.
  -o, --output FILE   where to write it (default: NAME-YYYY-MM-DD.db in the current folder);
                      an existing file is never overwritten
The copy is one SQLite file without sessions or password hashes: open it with sqlite3, or make
it a blog again with \`writekit import NAME FILE.db\`. (An operator's copy of every blog, with the
password hashes, is \`writekit backup\`.)

${exitCodesHelp("failed (no such blog, FILE exists, no data directory)")}`;

/** Today's date in the local time zone, as the default file name shows it. */
function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export const exportCommand: Command = {
  name: "export",
  summary: "write a consistent copy of one blog to a .db file",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...commonOptions, output: { type: "string", short: "o" } }, "export");
    if (values.help) return (out(usage), 0);
    if (positionals.length !== 1)
      throw usageError(
        `export takes one blog NAME${positionals.length ? `, got ${positionals.length}: ${positionals.join(" ")}` : ""}`,
        "export",
      );
    const name = blogNameArg(positionals[0]);
    const dataDir = existingDataDir(values);
    if (values.output !== undefined && values.output.trim() === "") throw usageError("-o needs a file name", "export");
    const file = resolve(values.output ?? `${name}-${localDay(new Date())}.db`);
    if (existsSync(file)) throw new CliError(`${file} already exists; choose another file with -o or remove it first`);
    try {
      const entry = await runSnapshotJob({ kind: "export", dataDir, name, file });
      out(
        `Exported "${name}" to ${file} (${formatBytes(entry.bytes)}, ${entry.posts} post${entry.posts === 1 ? "" : "s"}, schema version ${entry.schemaVersion}, no sessions or password hashes)`,
      );
      out(`  sha256 ${entry.sha256}`);
      return 0;
    } catch (e) {
      if (e instanceof SnapshotError) throw new CliError(e.message);
      throw e;
    }
  },
};
