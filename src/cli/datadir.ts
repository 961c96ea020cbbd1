// The data directory a command works on. Every command but `tenant create`, `serve` and `restore`
// (which may make it) needs it to exist already: a mistyped --data must fail loudly, not find
// "0 blogs" and exit 0 every night.
import { opendirSync, statSync } from "node:fs";
import { ConfigError, dataDirFrom } from "../config.ts";
import { isTenantName, tenantsDir } from "../tenants/names.ts";
import { CliError, EXIT_USAGE } from "./command.ts";

/** --data (or WRITEKIT_DATA, or ./data) as an absolute path, not checked. */
export function dataDirArg(values: { data?: string }): string {
  try {
    return dataDirFrom(values);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT_USAGE);
    throw e;
  }
}

/**
 * Throws unless `dataDir/tenants` is a folder, saying where it looked, how to point elsewhere, and
 * `makeNew`: how a new one is made for what the command does.
 */
export function requireDataDir(dataDir: string, makeNew = "tenant create and restore make a new one"): string {
  const tenants = tenantsDir(dataDir);
  if (!statSync(tenants, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError(
      `no data directory at ${dataDir} (looked for ${tenants}); pass --data DIR or set WRITEKIT_DATA (${makeNew})`,
    );
  }
  return dataDir;
}

/** --data, checked to be an existing data directory. */
export function existingDataDir(values: { data?: string }, makeNew?: string): string {
  return requireDataDir(dataDirArg(values), makeNew);
}

/** Whether the data directory holds at least one blog; reads entries only until it finds one. */
export function hasAnyBlog(dataDir: string): boolean {
  let dir;
  try {
    dir = opendirSync(tenantsDir(dataDir));
  } catch {
    return false;
  }
  try {
    for (let entry = dir.readSync(); entry; entry = dir.readSync()) {
      if (entry.name.endsWith(".db") && isTenantName(entry.name.slice(0, -3))) return true;
    }
    return false;
  } finally {
    dir.closeSync();
  }
}

/**
 * What `serve` says at start when it has no blog to serve: where it looked and how to create one
 * (the usual cause is a `tenant create` that wrote to another --data). Empty when there is a blog.
 */
export function noBlogsNotice(dataDir: string): string[] {
  if (hasAnyBlog(dataDir)) return [];
  return [
    `No blogs yet: nothing in ${tenantsDir(dataDir)}.`,
    `  Create one with: writekit tenant create NAME --data ${shellWord(dataDir)}`,
    `  (every command reads the same folder when WRITEKIT_DATA=${shellWord(dataDir)} is set)`,
  ];
}

/** `text` as one word a shell reads back unchanged. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
