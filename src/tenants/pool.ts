// The LRU pool of open blog databases (src/lru.ts: get and evict are both O(1)).
import type { Database } from "bun:sqlite";
import { constants as sqliteConstants } from "bun:sqlite";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { log } from "../log.ts";
import { LruMap } from "../lru.ts";
import { faultOf, isFatal, type FaultKind } from "./faults.ts";
import { migrate, MIGRATIONS, pendingMigrations, type Migration } from "./migrate.ts";
import { tenantPath, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";
import { trimWalIndex } from "./walindex.ts";

export interface Tenant {
  name: TenantName;
  path: string;
  db: Database;
  /** Opened read-only because its file cannot be written: reads work, writes fail (SQLITE_READONLY). */
  readOnly: boolean;
  /** PRAGMA data_version when last looked at: it moves only when another connection commits. */
  dataVersion: number;
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
  constructor(readonly blog: string, readonly reason: string) {
    super(`the blog "${blog}" is unavailable: ${reason}`);
  }
}

export interface PoolStats {
  hits: number;
  misses: number;
  evictions: number;
  openFailures: number;
  /** Total milliseconds spent opening blogs (open + pragmas + schema check). */
  openMs: number;
  /** Storage faults met, at open or while in use, by kind. */
  faults: Record<FaultKind, number>;
}

export interface PoolOptions {
  dataDir: string;
  maxOpen: number;
  migrations?: readonly Migration[];
  /**
   * How long a write waits for another process's lock (PRAGMA busy_timeout). bun:sqlite waits
   * synchronously, so every blog's readers wait too: keep it short and answer 503 instead.
   */
  busyTimeoutMs?: number;
  /** How long a blog opened read-only is served so before trying read-write again. */
  readOnlyRetryMs?: number;
}

/** Default busy timeout of the server's pool: long enough for another process's short write. */
export const SERVER_BUSY_TIMEOUT_MS = 250;
/** A fault met while a blog is in use is logged again after this long, not on every request. */
const FAULT_LOG_INTERVAL_MS = 10 * 60 * 1000;

export type CloseHook = (tenant: Tenant) => void;

/** What a writer outside the pool saw of a blog's files (see Pool.giveBack). */
export interface OutsideWrite {
  before: string;
  after: string;
  /** Another connection committed while the writer had the blog open. */
  foreign: boolean;
}

export class Pool {
  readonly stats: PoolStats = { hits: 0, misses: 0, evictions: 0, openFailures: 0, openMs: 0, faults: { corrupt: 0, "read-only": 0, full: 0, io: 0, "cannot-open": 0, busy: 0 } };
  private readonly open = new LruMap<TenantName, Tenant>();
  private readonly hooks: CloseHook[] = [];
  private readonly changeListeners: ((name: TenantName) => void)[] = [];
  /** Per closed blog, its files' fingerprint right after this pool closed it. */
  private readonly closedAs = new Map<TenantName, string>();
  /** Closed blogs lent to a writer of this server outside the pool (see lend), with their release. */
  private readonly lent = new Map<TenantName, (closed?: boolean) => void>();
  /**
   * Blogs a connection of this process outside the pool may have open (a Worker's), with how many:
   * their WAL index is left alone when the pool closes them (see walindex.ts).
   */
  private readonly heldOutside = new Map<TenantName, number>();
  /**
   * Blogs a thread of this process that failed may have left open: SQLite then keeps that
   * connection's shared state, so the WAL index is never cut again while this process runs.
   */
  private readonly neverTrim = new Set<TenantName>();
  /** The last failure logged per blog, so a broken blog is logged once, not per request. */
  private readonly failures = new Map<TenantName, string>();
  /**
   * Blogs whose file is damaged (or not a blog, or too new), with the file's identity when that
   * was found: they answer "unavailable" at once, without reopening, until the file changes.
   */
  private readonly broken = new Map<TenantName, { file: string; error: BlogUnavailableError }>();
  /** When each read-only blog was opened, to try read-write again after readOnlyRetryMs. */
  private readonly readOnlySince = new Map<TenantName, number>();
  /** "blog\0kind" → when that fault was last logged. */
  private readonly faultLogged = new Map<string, number>();

  constructor(private readonly options: PoolOptions) {}

  get size(): number {
    return this.open.size;
  }

  get maxOpen(): number {
    return this.options.maxOpen;
  }

  /** Runs before a blog's handle closes (eviction, delete, shutdown), while it is still usable. */
  onBeforeClose(hook: CloseHook): void {
    this.hooks.push(hook);
  }

  /** The open blog, opening it (and evicting the least recently used one) when needed. */
  get(name: TenantName): Tenant {
    const found = this.open.get(name);
    if (found && found.readOnly && performance.now() - (this.readOnlySince.get(name) ?? 0) >= (this.options.readOnlyRetryMs ?? 30_000)) {
      // Perhaps writable again (permissions fixed, disk remounted): reopen on this request.
      this.close(name);
    } else if (found) {
      this.stats.hits++;
      return found;
    }
    this.stats.misses++;
    const tenant = this.openTenant(name);
    while (this.open.size >= this.options.maxOpen) {
      const oldest = this.open.oldest()!;
      this.stats.evictions++;
      this.close(oldest);
    }
    this.open.set(name, tenant);
    return tenant;
  }

  /** The blog if it is open now; never opens one. */
  peek(name: TenantName): Tenant | undefined {
    return this.open.peek(name);
  }

  names(): TenantName[] {
    return [...this.open.keys()];
  }

  /**
   * Runs `use` with the blog's database: the open handle when the blog is in the pool, otherwise
   * a handle opened for this call and closed after it, so background work (the view flusher)
   * does not push the blogs readers are using out of the pool.
   */
  withDatabase<T>(name: TenantName, use: (db: Database) => T): T {
    const open = this.open.peek(name);
    if (open) return use(open.db);
    const tenant = this.openTenant(name);
    try {
      return use(tenant.db);
    } finally {
      this.closeHandle(tenant);
    }
  }

  /**
   * Whether another connection (another process, or a handle outside the pool) committed to an
   * open blog since the last look. Its own handle's writes and the opening and closing of its
   * files do not count. For a closed blog, whether its files differ from how our own last close
   * left them (true when the pool never had it open).
   */
  changedElsewhere(name: TenantName): boolean {
    // Lent to this server's own writer: its return says what changed.
    if (this.lent.has(name)) return false;
    const tenant = this.open.peek(name);
    if (!tenant) {
      // Closed: compare its files with how our own last close left them.
      const before = this.closedAs.get(name);
      const now = fileFingerprint(tenantPath(this.options.dataDir, name));
      if (before === now) return false;
      this.closedAs.set(name, now);
      return true;
    }
    // Its file was replaced (`writekit restore --force` renames a new one over it): this handle
    // still reads the old one. Close it; the next request opens the new file.
    if (hasMoved(tenant.db)) {
      this.close(name);
      return true;
    }
    try {
      const version = dataVersionOf(tenant.db);
      const changed = version !== tenant.dataVersion;
      tenant.dataVersion = version;
      return changed;
    } catch {
      return true;
    }
  }

  /**
   * A closed blog is about to be written by this server outside the pool (the view Worker, on its
   * own connection). Until `giveBack`, its file events are not taken as someone else's change.
   */
  lend(name: TenantName): void {
    if (!this.lent.has(name)) this.lent.set(name, this.holdOutside(name));
  }

  /**
   * Another thread of this process is about to open the blog on a connection of its own (an
   * export's Worker). Call the returned function once that thread is done: with `closed` false
   * when it failed and may have left its connection open.
   */
  holdOutside(name: TenantName): (closed?: boolean) => void {
    this.heldOutside.set(name, (this.heldOutside.get(name) ?? 0) + 1);
    let released = false;
    return (closed = true) => {
      if (released) return;
      released = true;
      if (!closed) this.neverTrim.add(name);
      const count = (this.heldOutside.get(name) ?? 1) - 1;
      if (count > 0) {
        this.heldOutside.set(name, count);
        return;
      }
      this.heldOutside.delete(name);
      if (!this.open.peek(name) && !this.neverTrim.has(name)) trimWalIndex(tenantPath(this.options.dataDir, name));
    };
  }

  /**
   * The outside writer is done. With its report (the files' fingerprint before it opened the blog
   * and after it closed it, and whether another connection committed while it had it open), a
   * blog nobody else touched keeps its cached pages; without one (the write failed), or when the
   * files had changed before or during it, the change is reported.
   */
  giveBack(name: TenantName, report: OutsideWrite | null, writerClosed = true): void {
    this.lent.get(name)?.(writerClosed);
    this.lent.delete(name);
    const tenant = this.open.peek(name);
    if (tenant) {
      // Opened by a reader meanwhile: its handle saw the writer's commit as another connection's.
      if (report && !report.foreign) tenant.dataVersion = dataVersionOf(tenant.db);
      else this.reportChange(name);
      return;
    }
    const before = this.closedAs.get(name);
    this.closedAs.set(name, report?.after ?? fileFingerprint(tenantPath(this.options.dataDir, name)));
    if (!report || report.foreign || before !== report.before) this.reportChange(name);
  }

  /** Runs the before-close hooks, then closes the handle. Unknown or closed blogs are a no-op. */
  close(name: TenantName): void {
    const tenant = this.open.peek(name);
    if (!tenant) return;
    this.open.delete(name);
    this.readOnlySince.delete(name);
    for (const hook of this.hooks) {
      try {
        hook(tenant);
      } catch (e) {
        log.error("before-close hook failed", { blog: name, error: e instanceof Error ? e.message : String(e) });
      }
    }
    this.closeHandle(tenant);
  }

  /**
   * Closes a handle and remembers what its files looked like right after, so that the file events
   * our own close causes (a checkpoint writes the .db, the -wal is truncated) can be told from a
   * later change by someone else. A commit by another connection while the handle was open is
   * reported now: the events of our own close would otherwise hide it.
   */
  private closeHandle(tenant: Tenant): void {
    let changed: boolean;
    try {
      changed = dataVersionOf(tenant.db) !== tenant.dataVersion;
    } catch {
      changed = true;
    }
    try {
      tenant.db.close();
    } catch (e) {
      log.error("closing a blog failed", { blog: tenant.name, error: e instanceof Error ? e.message : String(e) });
    }
    // The last connection of this process to the blog is closed: cut its WAL index back now, while
    // its blocks are not yet on disk (walindex.ts), unless another thread may have it open.
    if (!tenant.readOnly && !this.heldOutside.has(tenant.name) && !this.neverTrim.has(tenant.name)) trimWalIndex(tenant.path);
    this.closedAs.set(tenant.name, fileFingerprint(tenant.path));
    if (changed) this.reportChange(tenant.name);
  }

  /** Called when the pool learns that someone else changed a blog (see changedElsewhere). */
  onChangedElsewhere(listener: (name: TenantName) => void): void {
    this.changeListeners.push(listener);
  }

  private reportChange(name: TenantName): void {
    for (const listener of this.changeListeners) listener(name);
  }

  closeAll(): void {
    for (const name of [...this.open.keys()]) this.close(name);
  }

  /**
   * Records a storage fault met while using a blog (the SQLiteError a statement threw): counted,
   * logged with the blog's name once per kind every ten minutes rather than per request, and a
   * handle that can no longer be trusted (corrupt, its files gone) is dropped so the next request
   * reopens the file. Returns the kind, or null when `error` is not a storage fault.
   */
  noteFault(name: TenantName, error: unknown): FaultKind | null {
    const kind = faultOf(error);
    if (!kind) return null;
    this.stats.faults[kind]++;
    const message = error instanceof Error ? error.message : String(error);
    if (kind === "busy") this.logFault(name, kind, "blog is locked by another process past the busy timeout", message);
    else this.logFault(name, kind, "blog storage fault", message);
    if (isFatal(kind)) this.close(name);
    return kind;
  }

  /** Logs a fault of a blog unless the same kind was logged for it in the last ten minutes. */
  private logFault(name: TenantName, kind: FaultKind, message: string, error?: string): void {
    const key = name + "\u0000" + kind;
    const now = performance.now();
    const last = this.faultLogged.get(key);
    if (last !== undefined && now - last < FAULT_LOG_INTERVAL_MS) return;
    this.faultLogged.set(key, now);
    (kind === "busy" ? log.warn : log.error)(message, { blog: name, fault: kind, error });
  }

  private openTenant(name: TenantName): Tenant {
    const path = tenantPath(this.options.dataDir, name);
    // A request never creates a database: check first, and open without the create flag.
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new UnknownBlogError(name);
    const file = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const broken = this.broken.get(name);
    if (broken?.file === file) throw broken.error;
    const started = performance.now();
    const migrations = this.options.migrations ?? MIGRATIONS;
    const busyTimeoutMs = this.options.busyTimeoutMs ?? SERVER_BUSY_TIMEOUT_MS;
    let db: Database | undefined;
    let openedReadOnly = false;
    try {
      try {
        db = openBlogDatabase(path, { busyTimeoutMs });
        // A blog behind the binary's schema is migrated when it opens; a newer one is refused
        // by pendingMigrations before anything is written.
        migrate(db, migrations);
      } catch (e) {
        const kind = faultOf(e);
        if (kind !== "read-only" && kind !== "cannot-open") throw e;
        db?.close();
        db = undefined;
        db = this.openReadOnly(path, busyTimeoutMs);
        openedReadOnly = true;
        // Serving an old schema read-only would break pages; refuse it like a broken file.
        if (pendingMigrations(db, migrations).length) throw new Error(`its file cannot be written (${e instanceof Error ? e.message : String(e)}) and it needs a migration`);
      }
    } catch (e) {
      db?.close();
      this.stats.openFailures++;
      if (!existsSync(path)) throw new UnknownBlogError(name);
      const kind = faultOf(e);
      // Another process holds the lock: a passing state, answered as "busy" (noteFault), not as broken.
      if (kind === "busy") throw e;
      if (kind) this.stats.faults[kind]++;
      const reason = e instanceof Error ? e.message : String(e);
      if (kind) {
        // Logged once per kind, together with the same fault met while the blog was open.
        this.logFault(name, kind, "cannot open blog", reason);
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
      this.stats.openMs += performance.now() - started;
    }
    this.broken.delete(name);
    // Changed by someone else since we closed it, and its file events not handled yet?
    const closedAs = this.closedAs.get(name);
    if (closedAs !== undefined) {
      this.closedAs.delete(name);
      if (closedAs !== fileFingerprint(path)) this.reportChange(name);
    }
    // SQLite opens a file it may not write read-only without saying so (a read-only file, an
    // immutable one); writes would then fail with SQLITE_READONLY. Know it, to retry later.
    const readOnly = openedReadOnly || !isWritable(path);
    if (readOnly) {
      this.readOnlySince.set(name, performance.now());
      this.logFault(name, "read-only", "blog file cannot be written; serving it read-only");
    }
    this.failures.delete(name);
    return { name, path, db, readOnly, dataVersion: dataVersionOf(db) };
  }

  /**
   * Opens a file that cannot be opened for writing. A WAL database needs its -shm file; on a
   * read-only file system where none exists, SQLite can only read it as immutable, which is
   * safe there because nothing can change the file until the file system is writable again.
   */
  private openReadOnly(path: string, busyTimeoutMs: number): Database {
    try {
      return openBlogDatabase(path, { readonly: true, busyTimeoutMs });
    } catch (e) {
      if (faultOf(e) !== "cannot-open" || !isReadOnlyFileSystem(dirname(path))) throw e;
      return openBlogDatabase(path, { readonly: true, immutable: true, busyTimeoutMs });
    }
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

/** Whether the file a handle has open is no longer the one at its path (https://sqlite.org/c3ref/c_fcntl_begin_atomic_write.html#sqlitefcntlhasmoved). */
function hasMoved(db: Database): boolean {
  const moved = new Int32Array(2); // bun wants at least 8 bytes; SQLite writes an int
  try {
    db.fileControl(sqliteConstants.SQLITE_FCNTL_HAS_MOVED, moved);
  } catch {
    return false;
  }
  return moved[0] !== 0;
}

/** https://sqlite.org/pragma.html#pragma_data_version */
export function dataVersionOf(db: Database): number {
  return (db.query("PRAGMA data_version").get() as { data_version: number }).data_version;
}

/** Inode, size and modification time (ns) of a blog's .db and -wal: what any write changes. */
export function fileFingerprint(path: string): string {
  const parts: string[] = [];
  for (const file of [path, path + "-wal"]) {
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    parts.push(st ? `${st.ino}:${st.size}:${st.mtimeNs}` : "-");
  }
  return parts.join("/");
}
