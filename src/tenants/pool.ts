// The pool: which blogs this server keeps open, as a least-recently-used policy over the registry
// (src/lru.ts: get and evict are both O(1)). A pooled blog holds one lease on the registry's
// handle; evicting it releases the lease, and the registry closes the handle once no one else holds it.
import type { Database } from "bun:sqlite";
import { LruMap } from "../lru.ts";
import { isFatal, type FaultKind } from "./faults.ts";
import type { TenantName } from "./names.ts";
import type { Tenant } from "./opener.ts";
import type { BlogRegistry, HandleLease } from "./registry.ts";

export interface PoolStats {
  hits: number;
  misses: number;
  evictions: number;
}

export interface PoolOptions {
  maxOpen: number;
  /**
   * A blog not in the pool is read on a connection of its own for each render (registry.read);
   * once it needs that `hotReads` times within `hotWindowMs`, it is opened into the pool instead,
   * since an open costs about as much as one brief read and the handle serves every read after it.
   */
  hotReads?: number;
  hotWindowMs?: number;
  /**
   * Whether a blog read often may be opened into the pool. In a cluster, not a blog being drained
   * or placed elsewhere: a handle left open would keep its WAL index in use, and the move's
   * `node release` waits for nothing to have it open.
   */
  mayKeepOpen?: (name: TenantName) => boolean;
  /** How long a blog opened read-only is served so before trying read-write again. */
  readOnlyRetryMs?: number;
}

export class Pool {
  readonly stats: PoolStats = { hits: 0, misses: 0, evictions: 0 };
  private readonly open = new LruMap<TenantName, HandleLease>();
  /** Brief reads per blog in the current window; cleared when the window ends, so it stays small. */
  private recentReads = new Map<TenantName, number>();
  private windowStart = performance.now();

  constructor(
    readonly registry: BlogRegistry,
    private readonly options: PoolOptions,
  ) {}

  get size(): number {
    return this.open.size;
  }

  get maxOpen(): number {
    return this.options.maxOpen;
  }

  /** The open blog, opening it (and evicting the least recently used one) when needed. */
  get(name: TenantName): Tenant {
    const found = this.open.get(name);
    if (found && this.isCurrent(found.tenant)) {
      this.stats.hits++;
      return found.tenant;
    }
    if (found) this.close(name);
    this.stats.misses++;
    const lease = this.registry.open(name);
    while (this.open.size >= this.options.maxOpen) {
      this.stats.evictions++;
      this.close(this.open.oldest()!);
    }
    this.open.set(name, lease);
    return lease.tenant;
  }

  /**
   * Runs `use` with a connection to the blog for one synchronous read (a render): the open handle,
   * or a brief connection (registry.read) for a blog read rarely. A blog read often (a burst of
   * 404s, a crawler walking its old posts, the busiest blogs of a large server) is opened into the
   * pool, so each of its reads stops paying for an open.
   */
  read<T>(name: TenantName, use: (tenant: Tenant) => T): T {
    if (
      this.open.get(name) === undefined &&
      !this.registry.peek(name) &&
      this.isHot(name) &&
      (this.options.mayKeepOpen?.(name) ?? true)
    ) {
      try {
        this.get(name);
      } catch {
        // The read below meets the same fault and answers it (a 503 that says why).
      }
    }
    return this.registry.read(name, use);
  }

  /** The blog if it is pooled now; never opens one. */
  peek(name: TenantName): Tenant | undefined {
    return this.open.peek(name)?.tenant;
  }

  names(): TenantName[] {
    return [...this.open.keys()];
  }

  /**
   * Runs `use` with the blog's database: the pooled handle, or one leased for this call, so
   * background work does not push the blogs readers are using out of the pool.
   */
  withDatabase<T>(name: TenantName, use: (db: Database) => T): T {
    const pooled = this.open.peek(name);
    if (pooled) return use(pooled.db);
    using lease = this.registry.open(name);
    return use(lease.db);
  }

  /** Lets go of the blog (the registry closes it unless someone else holds it). Unknown blogs are a no-op. */
  close(name: TenantName): void {
    const lease = this.open.peek(name);
    if (!lease) return;
    this.open.delete(name);
    lease.release();
  }

  closeAll(): void {
    for (const name of [...this.open.keys()]) this.close(name);
  }

  /** A storage fault met while using a blog: logged once per kind, and a handle that cannot be trusted is let go. */
  noteFault(name: TenantName, error: unknown): FaultKind | null {
    const kind = this.registry.noteFault(name, error);
    if (kind && isFatal(kind)) this.close(name);
    return kind;
  }

  /** Counts one brief read of the blog; true once it has had enough within the window. */
  private isHot(name: TenantName): boolean {
    const now = performance.now();
    if (now - this.windowStart >= (this.options.hotWindowMs ?? 1_000)) {
      this.recentReads = new Map();
      this.windowStart = now;
    }
    const reads = (this.recentReads.get(name) ?? 0) + 1;
    this.recentReads.set(name, reads);
    return reads >= (this.options.hotReads ?? 4);
  }

  /** False for a handle the registry retired, or a read-only one due for another try at read-write. */
  private isCurrent(tenant: Tenant): boolean {
    if (this.registry.peek(tenant.name) !== tenant) return false;
    if (!tenant.readOnly || performance.now() - tenant.openedAt < (this.options.readOnlyRetryMs ?? 30_000)) return true;
    // Perhaps writable again (permissions fixed, disk remounted): reopen on this request.
    this.registry.retire(tenant.name);
    return false;
  }
}
