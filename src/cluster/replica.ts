// A blog restored from its Litestream replica, checked before anything uses it: SQLite's full
// integrity_check (Litestream 0.3 has produced damaged restores, litestream #582, and so did
// WriteKit's own settings before `--replicated`), then that it is a WriteKit blog whose schema is
// exactly what the migrations make (plus Litestream's two tables, dropped here). A damaged restore
// is refused with the generations and times the replica holds, to try instead.
import { Database } from "bun:sqlite";
import { readFence } from "../blog/fence.ts";
import { getSettings } from "../blog/settings.ts";
import { assertIsBlog, NotABlogError, SCHEMA_VERSION, schemaVersion } from "../tenants/migrate.ts";
import { dropReplicationTables, LITESTREAM_TABLES } from "../tenants/replication.ts";
import { schemaDifferences } from "../tenants/schema.ts";
import { checkDatabase } from "../tenants/snapshot.ts";
import { listGenerations, restoreReplica, type RestoreOptions } from "./litestream.ts";

export class ReplicaError extends Error {
  override name = "ReplicaError";
}

/** The restore is damaged: nothing was adopted. */
export class DamagedReplicaError extends ReplicaError {
  override name = "DamagedReplicaError";
}

export interface RestoredBlog {
  /** The fence a drain wrote into it, if any. */
  fence: string | null;
  customDomain: string;
  schemaVersion: number;
}

/** Restores `url` into the new file `out`, checks it, and drops Litestream's tables from it. */
export async function restoreChecked(
  bin: string,
  url: string,
  out: string,
  options: RestoreOptions = {},
): Promise<RestoredBlog> {
  await restoreReplica(bin, url, out, options);
  const db = new Database(out, { readwrite: true, strict: true });
  try {
    db.run("PRAGMA trusted_schema = OFF");
    let problems: string[];
    try {
      problems = checkDatabase(db, "integrity_check");
    } catch (e) {
      problems = [e instanceof Error ? e.message : String(e)];
    }
    if (problems.length)
      throw new DamagedReplicaError(
        `the blog restored from ${url} is damaged (integrity_check: ${problems.slice(0, 3).join("; ")}); nothing was adopted.\n${await alternatives(bin, url, options)}`,
      );
    try {
      assertIsBlog(db);
    } catch (e) {
      if (e instanceof NotABlogError)
        throw new ReplicaError(`the replica ${url} does not hold a WriteKit blog: ${e.message}`);
      throw e;
    }
    const version = schemaVersion(db);
    if (version < 1 || version > SCHEMA_VERSION)
      throw new ReplicaError(
        `the replica ${url} holds a blog of schema version ${version}, which this WriteKit (${SCHEMA_VERSION}) cannot serve`,
      );
    const { extra, changed } = schemaDifferences(db, version);
    const foreign = extra.filter((e) => !LITESTREAM_TABLES.some((t) => e === `table "${t}"`));
    if (foreign.length || changed.length)
      throw new ReplicaError(
        `the blog restored from ${url} has a schema WriteKit does not make: ${[...foreign, ...changed].slice(0, 5).join("; ")}`,
      );
    const restored = {
      fence: readFence(db),
      customDomain: getSettings(db).custom_domain.trim(),
      schemaVersion: version,
    };
    dropReplicationTables(db);
    return restored;
  } finally {
    db.close();
  }
}

/** What to try instead of a damaged restore, from what the replica holds. */
async function alternatives(bin: string, url: string, tried: RestoreOptions): Promise<string> {
  const generations = await listGenerations(bin, url);
  if (!generations.length) return `The replica lists no generations (litestream generations ${url}).`;
  const lines = [`The replica holds ${generations.length} generation(s), newest last:`];
  for (const g of generations) lines.push(`  ${g.generation}  from ${g.start} to ${g.end}`);
  const newest = generations[generations.length - 1];
  lines.push("Try, in this order (each loses the writes after the time it restores to):");
  if (!tried.timestamp)
    lines.push(
      `  --generation ${newest.generation} --timestamp ${newest.start}   (its snapshot, before the WAL that follows it)`,
    );
  for (const g of generations.slice(0, -1).reverse()) lines.push(`  --generation ${g.generation}   (up to ${g.end})`);
  return lines.join("\n");
}
