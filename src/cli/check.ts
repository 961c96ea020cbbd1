// `writekit check [NAME ...]`: PRAGMA quick_check (https://sqlite.org/pragma.html#pragma_quick_check)
// of every blog or the named ones, then each image's bytes against its SHA-256; exit code 1 when
// any is damaged or cannot be read.
import { commonOptions } from "../config.ts";
import { listTenantNames } from "../tenants/names.ts";
import { runSnapshotJob, SnapshotError } from "../tenants/snapshot.ts";
import { blogNameArg, CliError, err, exitCodesHelp, out, parse, type Command } from "./command.ts";
import { existingDataDir } from "./datadir.ts";

const usage = `Usage: writekit check [NAME ...] [--data DIR]

Checks the integrity of every blog (or the named ones) with SQLite's quick_check, then reads
each image and compares its bytes with the SHA-256 it is stored (and served) under. Prints one
line per blog and a summary, and exits with 1 when any blog is damaged or cannot be read.
Safe while \`writekit serve\` runs.

${exitCodesHelp("a blog is damaged or cannot be read, or there is no data directory")}`;

export const checkCommand: Command = {
  name: "check",
  summary: "check the integrity of every (or the named) blog",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, commonOptions, "check");
    if (values.help) return (out(usage), 0);
    const named = positionals.map(blogNameArg);
    const dataDir = existingDataDir(values);
    const names = named.length ? named : listTenantNames(dataDir);
    if (names.length === 0) {
      out(`No blogs in ${dataDir} to check.`);
      return 0;
    }
    let results;
    try {
      results = await runSnapshotJob({ kind: "check", dataDir, names }, (r) => {
        if (r.problems.length === 0)
          out(
            `${r.name}: ok${r.images ? ` (${r.images} image${r.images === 1 ? "" : "s"}: bytes match their SHA-256)` : ""}`,
          );
        else err(`${r.name}: DAMAGED: ${r.problems.join("; ")}`);
      });
    } catch (e) {
      if (e instanceof SnapshotError) throw new CliError(e.message);
      throw e;
    }
    const damaged = results.filter((r) => r.problems.length > 0).length;
    out(
      `${results.length} blog${results.length === 1 ? "" : "s"} checked: ${results.length - damaged} ok, ${damaged} damaged or unreadable`,
    );
    return damaged ? 1 : 0;
  },
};
