// `writekit restore DIR [NAME ...] [--force]`: the blogs of a `writekit backup` folder brought back
// as they were, each checked against the manifest first (see tenants/restore.ts), then the custom
// domain map rebuilt from them.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { allowParentDomainFrom, commonOptions } from "../config.ts";
import { REPLACED_FILE_GRACE_MS } from "../tenants/files.ts";
import { tenantPath, tenantsDir } from "../tenants/names.ts";
import { readManifest, selectBlogs, type RestoredBlog } from "../tenants/restore.ts";
import { runSnapshotJob } from "../tenants/snapshot.ts";
import {
  addressArg,
  blogNameArg,
  CliError,
  err,
  exitCodesHelp,
  out,
  parse,
  usageError,
  type Command,
} from "./command.ts";
import { dataDirArg, shellWord } from "./datadir.ts";
import { rebuildDomains } from "./domains.ts";

const usage = `Usage: writekit restore DIR [NAME ...] [--force] [--domain DOMAIN] [--data DIR]

Brings back the blogs of DIR, a folder written by \`writekit backup\` (all of them, or the named
ones), into the data directory, which is made when it does not exist. Authors sign in with the
passwords they had; sessions are not kept in a backup, so everyone signs in again.
Every file is checked before it becomes a blog: its size and sha256 against DIR/manifest.json,
SQLite's integrity_check, and that it is a WriteKit blog of a schema this WriteKit runs (an older
one is migrated forward, a newer one refused). The file is copied first and only the copy is
checked and used; the backup is never changed. A blog that fails a check is reported and the
others are still restored.
  --force          replace blogs that exist. Each is checked and prepared beside the old one,
                   then renamed over it in one step, so a reader sees the old blog or the restored
                   one, never a mix; safe while \`writekit serve\` runs, which notices the change
                   through its file watcher and serves the restored blog (what was written to the
                   old one since the backup is gone). Restore then waits ${REPLACED_FILE_GRACE_MS / 1000} s before exiting,
                   so that a program that was opening an old file at that moment gives up rather
                   than mix the old file with the new one.
                   Without --force nothing is restored when any of the blogs exists.
  --domain DOMAIN  the server's own domain (env WRITEKIT_DOMAIN; default localhost)
Afterwards the custom domain map (DATA/domains.json) is rebuilt from every blog's settings, as
\`writekit domains rebuild --domain DOMAIN\` does; a running server reloads it.

${exitCodesHelp("a blog failed a check or could not be written (the others are restored), an\nexisting blog without --force, a bad manifest, or a custom domain conflict")}`;

function describeRestored(r: RestoredBlog): string {
  const migrated =
    r.fromVersion !== r.toVersion ? `, migrated from schema version ${r.fromVersion} to ${r.toVersion}` : "";
  return `${r.name}: ${r.replaced ? "replaced by its backup" : "restored"} (${r.posts} post${r.posts === 1 ? "" : "s"}${migrated})`;
}

export const restoreCommand: Command = {
  name: "restore",
  summary: "bring back blogs from a backup folder, checked against its manifest",
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        ...commonOptions,
        force: { type: "boolean" },
        domain: { type: "string" },
        "allow-parent-domain": { type: "boolean" },
      },
      "restore",
    );
    if (values.help) return (out(usage), 0);
    const [dirInput, ...nameInputs] = positionals;
    if (dirInput === undefined || dirInput.trim() === "")
      throw usageError("restore needs the backup folder: writekit restore DIR [NAME ...]", "restore");
    const names = nameInputs.map(blogNameArg);
    const { domain } = addressArg({ domain: values.domain });
    const dataDir = dataDirArg(values);
    const dir = resolve(dirInput);
    const manifest = readManifest(dir);
    const entries = selectBlogs(manifest, names);
    if (entries.length === 0) throw new CliError(`the backup in ${dir} has no blogs; nothing was restored`);
    const existing = entries.filter((e) => existsSync(tenantPath(dataDir, e.name))).map((e) => e.name);
    if (existing.length && !values.force) {
      const shown =
        existing.length > 10 ? `${existing.slice(0, 10).join(", ")}, … (${existing.length})` : existing.join(", ");
      throw new CliError(
        `${existing.length === 1 ? "1 blog" : `${existing.length} blogs`} of this backup already exist${existing.length === 1 ? "s" : ""} in ${dataDir}: ${shown}; nothing was restored. --force replaces ${existing.length === 1 ? "it" : "them"}, or name the blogs to restore`,
      );
    }
    if (names.length === 0)
      for (const f of manifest.failed)
        err(`note: ${f.name} could not be copied when this backup was made, so it is not in it: ${f.error}`);
    out(
      `Restoring ${entries.length} blog${entries.length === 1 ? "" : "s"} from ${dir}${manifest.createdAt ? ` (backed up ${manifest.createdAt})` : ""} into ${tenantsDir(dataDir)}`,
    );
    const result = await runSnapshotJob(
      { kind: "restore", dataDir, dir, names: entries.map((e) => e.name), force: Boolean(values.force) },
      (p) => {
        if ("restored" in p) out(describeRestored(p.restored));
        else if ("error" in p) err(`${p.name}: FAILED: ${p.error}`);
        else
          out(
            `Waiting ${(p.waitMs / 1000).toFixed(1)} s so that nothing still opening a replaced file mixes it with the restored one`,
          );
      },
    );
    let problems = result.failed.length;
    if (result.restored.length) {
      out("Custom domains:");
      problems += rebuildDomains(
        dataDir,
        { instanceDomain: domain, allowParentDomain: allowParentDomainFrom(values) },
        { out: (line) => out(`  ${line}`), err: (line) => err(`  ${line}`) },
      );
    }
    for (const r of result.restored) {
      for (const email of r.withoutPassword) {
        out(
          `note: ${email} cannot sign in to ${r.name} (the backup has no password for them): writekit tenant password ${r.name} --email ${shellWord(email)} --data ${shellWord(dataDir)}`,
        );
      }
    }
    out(
      `Restored ${result.restored.length} of ${entries.length} blog${entries.length === 1 ? "" : "s"} into ${tenantsDir(dataDir)}${result.failed.length ? `; ${result.failed.length} failed` : ""}`,
    );
    return problems ? 1 : 0;
  },
};
