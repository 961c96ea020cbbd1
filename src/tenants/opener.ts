// Opening a blog for the server: the file must exist (a request never creates one), a blog behind
// the binary's schema is migrated, one that cannot be written is opened read-only, and a file whose
// contents are wrong (damaged, not a blog, too new) is remembered as broken until it changes, so
// it is not reopened on every request. Only the registry calls it.
import type { Database } from "bun:sqlite";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { log } from "../log.ts";
import { dataVersionOf } from "./changes.ts";
import { faultOf, type FaultLog } from "./faults.ts";
import { migrate, MIGRATIONS, pendingMigrations, type Migration } from "./migrate.ts";
import { tenantPath, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";

export interface Tenant {
  name: TenantName;
  path: string;
  db: Database;
  /** Opened read-only because its file cannot be written: reads work, writes fail (SQLITE_READONLY). */
  readOnly: boolean;
  /** PRAGMA data_version when last looked at: it moves only when another connection commits. */
  dataVersion: number;
  /** performance.now() when it was opened. */
  openedAt: number;
}

/** The Host named a blog that does not exist. Never creates a file. */
export class UnknownBlogError extends Error {
  override name = "UnknownBlogError";
  constructor(readonly blog: string) {
    super(`there is no blog named "${blog}" here`);
  }
}

/** The blog exists but its file cannot be used right now (corrupt, unreadable, too new). */
export class BlogUnavailableError extends Error {
  override name = "BlogUnavailableError";
  constructor(
    readonly blog: string,
    readonly reason: string,
  ) {
    super(`the blog "${blog}" is unavailable: ${reason}`);
  }
}

/** Default busy timeout of the server: long enough for another process's short write. */
export const SERVER_BUSY_TIMEOUT_MS = 250;

export interface OpenerOptions {
  dataDir: string;
  migrations?: readonly Migration[];
  /**
   * How long a write waits for another process's lock (PRAGMA busy_timeout). bun:sqlite waits
   * synchronously, so every blog's readers wait too: keep it short and answer 503 instead.
   */
  busyTimeoutMs?: number;
  /** Every blog is replicated by Litestream (`serve --replicated`, open.ts): no exclusive brief reads. */
  replicated?: boolean;
}

export class BlogOpener {
  openFailures = 0;
  /** Total milliseconds spent opening blogs (open, pragmas, schema check). */
  openMs = 0;
  /** The last failure logged per blog, so a broken blog is logged once, not per request. */
  private readonly failures = new Map<TenantName, string>();
  /** Broken files with their identity: "unavailable" at once, without reopening, until the file changes. */
  private readonly broken = new Map<TenantName, { file: string; error: BlogUnavailableError }>();

  constructor(
    private readonly options: OpenerOptions,
    private readonly faults: FaultLog,
  ) {}

  /**
   * A connection for one short read, in exclusive locking mode (open.ts): null when that cannot
   * be had (another connection has the blog open, its file cannot be written, it is damaged), and
   * the caller should open it the ordinary way, which handles and reports each of those.
   */
  openBriefly(name: TenantName): Tenant | null {
    // Under Litestream the exclusive lock is never had (it holds a read transaction), and when it
    // is, between two of them, its close would checkpoint behind Litestream's back.
    if (this.options.replicated) return null;
    const path = this.check(name).path;
    const started = performance.now();
    let db: Database | undefined;
    try {
      db = openBlogDatabase(path, { exclusive: true });
      migrate(db, this.options.migrations ?? MIGRATIONS);
      return { name, path, db, readOnly: false, dataVersion: 0, openedAt: started };
    } catch {
      db?.close();
      return null;
    } finally {
      this.openMs += performance.now() - started;
    }
  }

  /** The blog's path, once it is known to exist and not to be remembered as broken. */
  private check(name: TenantName): { path: string; file: string } {
    const path = tenantPath(this.options.dataDir, name);
    // A request never creates a database: check first, and open without the create flag.
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new UnknownBlogError(name);
    const file = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const broken = this.broken.get(name);
    if (broken?.file === file) throw broken.error;
    return { path, file };
  }

  open(name: TenantName): Tenant {
    const { path, file } = this.check(name);
    const started = performance.now();
    const migrations = this.options.migrations ?? MIGRATIONS;
    const busyTimeoutMs = this.options.busyTimeoutMs ?? SERVER_BUSY_TIMEOUT_MS;
    let db: Database | undefined;
    let openedReadOnly = false;
    try {
      try {
        db = openBlogDatabase(path, { busyTimeoutMs, replicated: this.options.replicated });
        // A blog behind the binary's schema is migrated when it opens; a newer one is refused
        // by pendingMigrations before anything is written.
        migrate(db, migrations);
      } catch (e) {
        const kind = faultOf(e);
        if (kind !== "read-only" && kind !== "cannot-open") throw e;
        db?.close();
        db = undefined;
        db = openReadOnly(path, busyTimeoutMs);
        openedReadOnly = true;
        // Serving an old schema read-only would break pages; refuse it like a broken file.
        if (pendingMigrations(db, migrations).length)
          throw new Error(
            `its file cannot be written (${e instanceof Error ? e.message : String(e)}) and it needs a migration`,
          );
      }
    } catch (e) {
      db?.close();
      this.openFailures++;
      if (!existsSync(path)) throw new UnknownBlogError(name);
      const kind = faultOf(e);
      // Another process holds the lock: a passing state, answered as "busy", not as broken.
      if (kind === "busy") throw e;
      if (kind) this.faults.counts[kind]++;
      const reason = e instanceof Error ? e.message : String(e);
      if (kind) {
        // Logged once per kind, together with the same fault met while the blog was open.
        this.faults.log(name, kind, "cannot open blog", reason);
      } else if (this.failures.get(name) !== reason) {
        this.failures.set(name, reason);
        log.error("cannot open blog", { blog: name, error: reason });
      }
      const error = new BlogUnavailableError(name, reason);
      // Transient causes (too many open files, a passing I/O error) are retried on the next
      // request; a file whose contents are wrong is not reopened until it changes.
      if (!kind || kind === "corrupt") this.broken.set(name, { file, error });
      throw error;
    } finally {
      this.openMs += performance.now() - started;
    }
    this.broken.delete(name);
    // SQLite opens a file it may not write read-only without saying so (a read-only file, an
    // immutable one); writes would then fail with SQLITE_READONLY. Know it, to retry later.
    const readOnly = openedReadOnly || !isWritable(path);
    if (readOnly) this.faults.log(name, "read-only", "blog file cannot be written; serving it read-only");
    this.failures.delete(name);
    return { name, path, db, readOnly, dataVersion: dataVersionOf(db), openedAt: performance.now() };
  }
}

/**
 * Opens a file that cannot be opened for writing. A WAL database needs its -shm file; on a
 * read-only file system where none exists, SQLite can only read it as immutable, which is
 * safe there because nothing can change the file until the file system is writable again.
 */
function openReadOnly(path: string, busyTimeoutMs: number): Database {
  // Read-only connections set no WAL pragmas, so they need no replicated flag.
  try {
    return openBlogDatabase(path, { readonly: true, busyTimeoutMs });
  } catch (e) {
    if (faultOf(e) !== "cannot-open" || !isReadOnlyFileSystem(dirname(path))) throw e;
    return openBlogDatabase(path, { readonly: true, immutable: true, busyTimeoutMs });
  }
}

function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function isReadOnlyFileSystem(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === "EROFS";
  }
}
