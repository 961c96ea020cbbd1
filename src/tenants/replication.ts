// What a blog file replicated by Litestream 0.3 needs from everything that opens it, decided per
// file so that no command can forget it: a file is replicated when the server runs `--replicated`,
// or when Litestream has touched it (its meta directory `.<name>.db-litestream` beside the file).
// Such a file gets no SQLITE_FCNTL_PERSIST_WAL and no journal_size_limit=0 (Litestream 0.3 cannot
// follow a kept -wal truncated to nothing: restores failed integrity_check, README "Several
// nodes"), no automatic checkpoints (Litestream checkpoints, after copying the frames), no -shm
// cut and no exclusive brief reads.
import type { Database } from "bun:sqlite";
import { existsSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The tables Litestream 0.3 creates in every database it replicates. */
export const LITESTREAM_TABLES = ["_litestream_seq", "_litestream_lock"] as const;

/** Where Litestream 0.3 keeps its shadow WAL for the database at `path`. */
export function litestreamMetaDir(path: string): string {
  return join(dirname(path), `.${basename(path)}-litestream`);
}

/** Whether Litestream has replicated (or replicates) the file at `path`: a stat, no SQLite. */
export function isReplicatedFile(path: string): boolean {
  return existsSync(litestreamMetaDir(path));
}

export function hasReplicationTables(db: Database): boolean {
  return (
    db
      .query(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name IN ('${LITESTREAM_TABLES.join("', '")}')`)
      .get() !== null
  );
}

/** Drops Litestream's tables from a copy (an export, a restored replica): they mean nothing elsewhere. */
export function dropReplicationTables(db: Database): void {
  for (const table of LITESTREAM_TABLES) db.run(`DROP TABLE IF EXISTS "${table}"`);
}

/** Removes Litestream's shadow WAL of a blog that left this node (its replica is left alone). */
export function removeLitestreamMeta(path: string): void {
  rmSync(litestreamMetaDir(path), { recursive: true, force: true });
}
