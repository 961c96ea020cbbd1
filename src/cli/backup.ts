// `writekit backup -o DIR`: every blog as a consistent copy, plus DIR/manifest.json, for
// `writekit restore`. A blog that fails is reported and the others are still written.
import { resolve } from "node:path";
import { commonOptions } from "../config.ts";
import { runSnapshotJob, SnapshotError } from "../tenants/snapshot.ts";
import { CliError, err, exitCodesHelp, formatBytes, out, parse, usageError, type Command } from "./command.ts";
import { existingDataDir } from "./datadir.ts";

const usage = `Usage: writekit backup -o DIR [--data DIR]

Writes every blog to DIR/NAME.db, each a consistent copy safe while \`writekit serve\` runs, and
DIR/manifest.json, which lists each blog's name, file, bytes, sha256, schema version, post count
and time. \`writekit restore DIR\` brings them back as they were.
DIR must be new or empty. The copies keep the authors' password hashes (sessions are left out),
so the folder is made readable by its owner only (0700, files 0600): keep it as safe as the data
directory itself. (\`writekit export\` is an author's copy of one blog, without them.)
A blog that cannot be copied is reported and the others are still written.

${exitCodesHelp("a blog could not be copied (the others are written), DIR is not empty, or there\nis no data directory")}`;

export const backupCommand: Command = {
  name: "backup",
  summary: "copy every blog into a folder, with a manifest",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...commonOptions, output: { type: "string", short: "o" } }, "backup");
    if (values.help) return (out(usage), 0);
    if (positionals.length)
      throw usageError(
        `backup takes no arguments, got: ${positionals.join(" ")}; give the folder with -o DIR`,
        "backup",
      );
    if (values.output === undefined || values.output.trim() === "")
      throw usageError("backup needs a folder: -o DIR", "backup");
    const dataDir = existingDataDir(values);
    const dir = resolve(values.output);
    let result;
    try {
      result = await runSnapshotJob({ kind: "backup", dataDir, dir }, (p) => {
        if ("entry" in p)
          out(
            `${p.name}: ${formatBytes(p.entry.bytes)}, ${p.entry.posts} post${p.entry.posts === 1 ? "" : "s"}, sha256 ${p.entry.sha256.slice(0, 16)}…`,
          );
        else err(`${p.name}: FAILED: ${p.error}`);
      });
    } catch (e) {
      if (e instanceof SnapshotError) throw new CliError(e.message);
      throw e;
    }
    const total = result.blogs.length + result.failed.length;
    out(
      `Backed up ${result.blogs.length} of ${total} blog${total === 1 ? "" : "s"} to ${dir}${result.failed.length ? `, ${result.failed.length} failed` : ""} (manifest: ${result.manifest})`,
    );
    return result.failed.length ? 1 : 0;
  },
};
