// Opens one blog file with every pragma set explicitly: bun:sqlite's defaults (synchronous=FULL,
// busy_timeout=0, foreign_keys=OFF, a 2 MB page cache) are wrong for a server with many blogs.
import { Database } from "bun:sqlite";

export interface OpenOptions {
  /** Create the file when it does not exist (only `tenant create` and imports do this). */
  create?: boolean;
  readonly?: boolean;
}

export function openBlogDatabase(path: string, options: OpenOptions = {}): Database {
  const db = options.readonly
    ? new Database(path, { readonly: true, strict: true })
    : new Database(path, { readwrite: true, create: options.create ?? false, strict: true });
  try {
    // Wait for another process's write lock instead of failing at once.
    db.run("PRAGMA busy_timeout = 5000");
    if (!options.readonly) {
      // WAL lets readers and the writer proceed together; NORMAL is durable against process
      // crashes in WAL mode (https://sqlite.org/pragma.html#pragma_synchronous).
      db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = NORMAL");
    }
    db.run("PRAGMA foreign_keys = ON");
    // A small bounded page cache per handle: hundreds of blogs are open at once.
    db.run("PRAGMA cache_size = -512");
    db.run("PRAGMA temp_store = MEMORY");
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
