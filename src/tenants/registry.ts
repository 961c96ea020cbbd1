// The only way any thread of this process opens, lends or closes a blog's files. It counts leases:
// this thread's handle (the pool's, or a request's held across an await), and connections other
// threads open themselves (a Worker writing views, an admin export). It owns the two decisions
// that depend on knowing every one of them:
// - whether a change to the files came from someone else (changes.ts), so cached pages are dropped;
// - when the WAL index may be cut (walindex.ts): only once the count reaches zero, after this
//   thread's close succeeded, never after a thread that may have left a connection open, and not
//   at all when turned off (`--no-wal-index-cut`).
//
// Long because the lease count, change detection and the -shm cut must be read as one state
// machine.
import { log } from "../log.ts";
import { ChangeDetector, dataVersionOf, hasMoved, type OutsideWrite } from "./changes.ts";
import { FaultLog, isFatal, type FaultKind } from "./faults.ts";
import { tenantPath, type TenantName } from "./names.ts";
import { BlogOpener, type OpenerOptions, type Tenant } from "./opener.ts";
import { isReplicatedFile } from "./replication.ts";
import { trimWalIndex } from "./walindex.ts";

export interface RegistryOptions extends OpenerOptions {
  /** Cut a blog's -shm file when its last connection closes (default true). */
  cutWalIndex?: boolean;
}

interface Handle {
  tenant: Tenant;
  leases: number;
}

interface BlogState {
  /** This thread's current handle; a handle retired after a fault closes once its leases end. */
  handle?: Handle;
  /** This thread's connections not yet closed, the retired ones included. */
  connections: number;
  /** Connections other threads of this process may have open. */
  outside: number;
  /** Of those, writers: their file events are this server's own, and their report says what changed. */
  writers: number;
  /** A connection may have been left open (a thread crashed, a statement kept one alive): never cut again. */
  neverCut: boolean;
}

/** How another thread's use of a blog ended. */
export interface OutsideOutcome {
  /** Its connection is closed; false when the thread failed and may have left it open. */
  closed: boolean;
  /** A writer's account of the files before and after; null when its write failed. */
  report?: OutsideWrite | null;
}

/** A lease on this thread's handle of a blog; the handle closes when its last lease is released. */
export class HandleLease implements Disposable {
  private released = false;

  constructor(
    private readonly registry: BlogRegistry,
    private readonly handle: Handle,
  ) {}

  get tenant(): Tenant {
    return this.handle.tenant;
  }

  get db(): Tenant["db"] {
    return this.handle.tenant.db;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.registry.releaseHandle(this.handle);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Another thread of this process may have the blog open until this lease is released. */
export class OutsideLease implements Disposable {
  private released = false;

  constructor(
    private readonly registry: BlogRegistry,
    readonly name: TenantName,
    readonly writes: boolean,
  ) {}

  /** Release it once the other thread is done; without an outcome, it closed its connection and wrote nothing. */
  release(outcome: OutsideOutcome = { closed: true }): void {
    if (this.released) return;
    this.released = true;
    this.registry.releaseOutside(this, outcome);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

export class BlogRegistry {
  readonly faults = new FaultLog((level, message, fields) => log[level](message, fields));
  private readonly opener: BlogOpener;
  private readonly changes = new ChangeDetector();
  private readonly blogs = new Map<TenantName, BlogState>();
  private readonly cut: boolean;
  /** WAL index cuts made, and those skipped because a connection of this process still had the blog. */
  cuts = 0;
  cutsRefusedHere = 0;
  /** Reads of blogs this thread did not have open, each on a connection of its own (see read). */
  briefReads = 0;

  constructor(readonly options: RegistryOptions) {
    this.opener = new BlogOpener(options, this.faults);
    // Under Litestream the -shm is never cut: its connection holds the DMS lock anyway.
    this.cut = (options.cutWalIndex ?? true) && !options.replicated;
  }

  get openFailures(): number {
    return this.opener.openFailures;
  }

  get openMs(): number {
    return this.opener.openMs;
  }

  /** Connections this thread has open now. */
  get connections(): number {
    let n = 0;
    for (const blog of this.blogs.values()) n += blog.connections;
    return n;
  }

  /** A lease on this thread's handle of the blog, opening it when needed (UnknownBlogError, BlogUnavailableError). */
  open(name: TenantName): HandleLease {
    const blog = this.stateOf(name);
    if (!blog.handle) {
      let tenant: Tenant;
      try {
        tenant = this.opener.open(name);
      } catch (e) {
        this.forgetIfIdle(name, blog);
        throw e;
      }
      blog.handle = { tenant, leases: 0 };
      blog.connections++;
      this.changes.afterOpen(name, tenant.path);
    }
    blog.handle.leases++;
    return new HandleLease(this, blog.handle);
  }

  /**
   * Runs `use` with a connection to the blog for one synchronous read: this thread's handle when
   * the blog is open; otherwise a connection in exclusive locking mode opened for this call alone,
   * which maps no WAL index, writes nothing and leaves nothing to cut when it closes (open.ts). A
   * blog another thread or process has open gets an ordinary connection, closed after the call.
   */
  read<T>(name: TenantName, use: (tenant: Tenant) => T): T {
    const blog = this.blogs.get(name);
    if (blog?.handle) return use(blog.handle.tenant);
    const tenant = blog?.outside ? null : this.opener.openBriefly(name);
    if (!tenant) {
      using lease = this.open(name);
      return use(lease.tenant);
    }
    // Under the exclusive lock nobody writes: the files are exactly what this read sees.
    this.changes.beforeRead(name, tenant.path);
    const state = this.stateOf(name);
    state.connections++;
    this.briefReads++;
    try {
      return use(tenant);
    } finally {
      try {
        tenant.db.close(true);
      } catch (e) {
        state.neverCut = true;
        log.error("a blog's connection could not be closed cleanly; its WAL index is left alone from now on", {
          blog: name,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      state.connections--;
      this.forgetIfIdle(name, state);
    }
  }

  /** This thread's handle of the blog if it is open; opens nothing, leases nothing. */
  peek(name: TenantName): Tenant | undefined {
    return this.blogs.get(name)?.handle?.tenant;
  }

  /**
   * Another thread of this process is about to open the blog on a connection of its own. A writer's
   * file events are this server's own until the lease is released with its report.
   */
  lend(name: TenantName, options: { writes: boolean }): OutsideLease {
    const blog = this.stateOf(name);
    blog.outside++;
    if (options.writes) blog.writers++;
    return new OutsideLease(this, name, options.writes);
  }

  /** Called when the registry learns that someone else changed a blog. */
  onChange(listener: (name: TenantName) => void): void {
    this.changes.onChange(listener);
  }

  /** Called with a closed blog's fingerprint once every change up to that state was reported (see changes.ts). */
  onKnownState(listener: (name: TenantName, fingerprint: string) => void): void {
    this.changes.onKnownState(listener);
  }

  /**
   * Whether someone else committed to the blog since the last look (the blog's file watcher asks):
   * this server's own writes, opens and closes do not count.
   */
  changedElsewhere(name: TenantName): boolean {
    const blog = this.blogs.get(name);
    if (blog && blog.writers > 0) return false; // a writer of ours: its report will say
    const tenant = blog?.handle?.tenant;
    if (!tenant) return this.changes.changedWhileClosed(name, tenantPath(this.options.dataDir, name));
    // Its file was replaced (`writekit restore --force`): this handle still reads the old one.
    // Retired, it closes once its leases end, and the next open opens the new file.
    if (hasMoved(tenant.db)) {
      this.retire(name);
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
   * Counts and logs a storage fault met while using a blog. A handle that can no longer be trusted
   * (corrupt, its files gone) is retired: it closes once its leases end, and the next open opens
   * the file again. Returns the kind, or null when `error` is not a storage fault.
   */
  noteFault(name: TenantName, error: unknown): FaultKind | null {
    const kind = this.faults.note(name, error);
    if (kind && isFatal(kind)) this.retire(name);
    return kind;
  }

  /** The handle is not to be handed out again (a fault, a file made writable again); it closes once its leases end. */
  retire(name: TenantName): void {
    const blog = this.blogs.get(name);
    if (blog) blog.handle = undefined;
  }

  /** The blog was deleted: its handle is retired and what was known of its files forgotten. */
  forget(name: TenantName): void {
    this.retire(name);
    this.changes.forget(name);
  }

  releaseHandle(handle: Handle): void {
    if (--handle.leases > 0) return;
    const { name } = handle.tenant;
    const blog = this.blogs.get(name)!;
    if (blog.handle === handle) blog.handle = undefined;
    this.closeHandle(blog, handle.tenant);
  }

  releaseOutside(lease: OutsideLease, outcome: OutsideOutcome): void {
    const blog = this.blogs.get(lease.name)!;
    blog.outside--;
    if (!outcome.closed) blog.neverCut = true;
    if (lease.writes) {
      blog.writers--;
      this.changes.afterOutsideWrite(
        lease.name,
        tenantPath(this.options.dataDir, lease.name),
        outcome.report ?? null,
        blog.handle?.tenant,
      );
    }
    this.cutIfLast(lease.name, blog, false);
  }

  private stateOf(name: TenantName): BlogState {
    let blog = this.blogs.get(name);
    if (!blog) this.blogs.set(name, (blog = { connections: 0, outside: 0, writers: 0, neverCut: false }));
    return blog;
  }

  /**
   * Closes a handle with close(true), which fails while a statement outside db.query()'s cache is
   * alive (it would keep the connection open after a lenient close), and remembers what the files
   * looked like right after, so the file events of our own close are not taken for someone else's.
   */
  private closeHandle(blog: BlogState, tenant: Tenant): void {
    let committedElsewhere: boolean;
    try {
      committedElsewhere = dataVersionOf(tenant.db) !== tenant.dataVersion;
    } catch {
      committedElsewhere = true;
    }
    let closed = true;
    try {
      tenant.db.close(true);
    } catch (e) {
      closed = false;
      blog.neverCut = true;
      log.error("a blog's connection could not be closed cleanly; its WAL index is left alone from now on", {
        blog: tenant.name,
        error: e instanceof Error ? e.message : String(e),
      });
      try {
        tenant.db.close(false);
      } catch {}
    }
    blog.connections--;
    this.cutIfLast(tenant.name, blog, tenant.readOnly || !closed);
    this.changes.afterClose(tenant.name, tenant.path, committedElsewhere);
  }

  /** Cuts the WAL index once no connection of this process has the blog, and forgets an idle blog. */
  private cutIfLast(name: TenantName, blog: BlogState, skip: boolean): void {
    if (blog.connections > 0 || blog.outside > 0) return;
    const path = tenantPath(this.options.dataDir, name);
    if (this.cut && !skip && !blog.neverCut && !isReplicatedFile(path)) {
      const result = trimWalIndex(path);
      if (result === "cut") this.cuts++;
      if (result === "open-here") {
        // Someone opened the blog outside the registry: a bug, and the reason the cut is guarded.
        this.cutsRefusedHere++;
        blog.neverCut = true;
        log.error("a blog is open in this process outside the registry; its WAL index is left alone", { blog: name });
      }
    }
    this.forgetIfIdle(name, blog);
  }

  private forgetIfIdle(name: TenantName, blog: BlogState): void {
    if (!blog.handle && blog.connections === 0 && blog.outside === 0 && !blog.neverCut) this.blogs.delete(name);
  }
}
