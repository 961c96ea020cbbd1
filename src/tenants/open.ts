// Opens one blog file with every pragma set explicitly: bun:sqlite's defaults (synchronous=FULL,
// busy_timeout=0, foreign_keys=OFF, a 2 MB page cache) are wrong for a server with many blogs.
import { constants, Database } from "bun:sqlite";
import { hasReplicationTables, isReplicatedFile } from "./replication.ts";

export interface OpenOptions {
  /** Create the file when it does not exist (only `tenant create` and imports do this). */
  create?: boolean;
  readonly?: boolean;
  /**
   * Read-only, and promise SQLite that nothing changes the file while it is open
   * (https://sqlite.org/uri.html#uriimmutable): the only way to read a WAL database on a read-only
   * file system when its -shm file does not exist. Only when nothing can write the file.
   */
  immutable?: boolean;
  /** How long to wait for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * For a short read: the connection holds the file alone for its life (locking_mode=EXCLUSIVE
   * before the first access, https://sqlite.org/wal.html#noshm), so the WAL index lives in its
   * own memory and the -shm file is neither mapped nor rebuilt, and nothing is written when it
   * closes. Fails at once with SQLITE_BUSY while any other connection has the blog open.
   */
  exclusive?: boolean;
  /**
   * The file is replicated by Litestream (`serve --replicated`): no kept -wal, no truncation to
   * nothing, no automatic checkpoints (replication.ts). Also on for every file Litestream touched.
   */
  replicated?: boolean;
}

/** Refused: an exclusive connection to a replicated file (its close would checkpoint under Litestream). */
export class ReplicatedFileError extends Error {
  override name = "ReplicatedFileError";
}

/** A file: URI for `path` (https://sqlite.org/uri.html): "%", "?" and "#" must be escaped. */
function fileUri(path: string, query: string): string {
  return "file:" + path.replace(/[%?#]/g, (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")) + "?" + query;
}

export function openBlogDatabase(path: string, options: OpenOptions = {}): Database {
  const db = options.immutable
    ? new Database(fileUri(path, "immutable=1"), constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI)
    : options.readonly
      ? new Database(path, { readonly: true, strict: true })
      : new Database(path, { readwrite: true, create: options.create ?? false, strict: true });
  try {
    if (options.exclusive) {
      // Litestream holds a read transaction, so the exclusive lock fails anyway; between two of
      // its transactions it would succeed, and the close would checkpoint and cut the -wal.
      if (options.replicated || isReplicatedFile(path))
        throw new ReplicatedFileError(`${path} is replicated: no exclusive connection`);
      db.run("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_size_limit = 0");
      // Without it, the close would delete the -wal file that the next ordinary open creates again.
      db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1);
      setCommonPragmas(db);
      return db;
    }
    // Wait for another process's write lock instead of failing at once.
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (!options.readonly && !options.immutable) {
      // WAL lets readers and the writer proceed together; NORMAL is durable against process
      // crashes in WAL mode (https://sqlite.org/pragma.html#pragma_synchronous).
      db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = NORMAL");
      if (options.replicated || isReplicatedFile(path) || hasReplicationTables(db)) {
        // Litestream checkpoints, after it has copied the frames (https://litestream.io/tips/).
        db.run("PRAGMA wal_autocheckpoint = 0");
      } else {
        // Keep the -wal and -shm files when the last handle closes. Otherwise every open creates
        // both and every close deletes them, and under LRU churn that file creation costs more
        // than everything else in a pool miss (docs/BENCHMARKS.md). The close
        // still checkpoints, so the .db file alone is complete; journal_size_limit truncates the
        // kept -wal to nothing once it has been checkpointed.
        db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1);
        db.run("PRAGMA journal_size_limit = 0");
      }
    }
    setCommonPragmas(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function setCommonPragmas(db: Database): void {
  // trusted_schema=OFF: functions and virtual tables that may have side effects are refused
  // inside triggers, views, CHECKs and indexes, so a file's schema can run nothing of the kind;
  // cell_size_check=ON: a damaged b-tree page is reported as SQLITE_CORRUPT before it is used
  // (https://sqlite.org/pragma.html#pragma_trusted_schema, #pragma_cell_size_check).
  // SQLITE_DBCONFIG_DEFENSIVE is not ours to set: bun:sqlite has no sqlite3_db_config binding
  // (fileControl is sqlite3_file_control), `db.handle` is an index, not the sqlite3 pointer, and
  // the Bun binary exports no sqlite3_* symbols for bun:ffi. Bun itself turns it on for every
  // connection it opens (JSSQLStatement.cpp, after sqlite3_open_v2); test/tenants/open.test.ts
  // checks that it still does (writable_schema stays off, journal_mode=OFF is refused).
  db.run("PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON");
  // A small bounded page cache per handle: hundreds of blogs are open at once, and readers are
  // served rendered pages from memory, so SQLite's own cache matters little.
  db.run("PRAGMA cache_size = -128");
  db.run("PRAGMA temp_store = MEMORY");
}
