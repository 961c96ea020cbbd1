// The LRU pool of open blog databases. A Map keeps insertion order, so "touch" is delete+set and
// the least recently used blog is the first key: get and evict are both O(1).
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { log } from "../log.ts";
import { migrate, MIGRATIONS, type Migration } from "./migrate.ts";
import { tenantPath, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";

export interface Tenant {
  name: TenantName;
  path: string;
  db: Database;
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
}

export interface PoolOptions {
  dataDir: string;
  maxOpen: number;
  migrations?: readonly Migration[];
}

export type CloseHook = (tenant: Tenant) => void;

export class Pool {
  readonly stats: PoolStats = { hits: 0, misses: 0, evictions: 0, openFailures: 0, openMs: 0 };
  private readonly open = new Map<TenantName, Tenant>();
  private readonly hooks: CloseHook[] = [];
  /** The last failure logged per blog, so a broken blog is logged once, not per request. */
  private readonly failures = new Map<TenantName, string>();

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
    if (found) {
      this.stats.hits++;
      this.open.delete(name);
      this.open.set(name, found);
      return found;
    }
    this.stats.misses++;
    const tenant = this.openTenant(name);
    while (this.open.size >= this.options.maxOpen) {
      const oldest = this.open.keys().next().value as TenantName;
      this.stats.evictions++;
      this.close(oldest);
    }
    this.open.set(name, tenant);
    return tenant;
  }

  /** The blog if it is open now; never opens one. */
  peek(name: TenantName): Tenant | undefined {
    return this.open.get(name);
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
    const open = this.open.get(name);
    if (open) return use(open.db);
    const tenant = this.openTenant(name);
    try {
      return use(tenant.db);
    } finally {
      tenant.db.close();
    }
  }

  /** Runs the before-close hooks, then closes the handle. Unknown or closed blogs are a no-op. */
  close(name: TenantName): void {
    const tenant = this.open.get(name);
    if (!tenant) return;
    this.open.delete(name);
    for (const hook of this.hooks) {
      try {
        hook(tenant);
      } catch (e) {
        log.error("before-close hook failed", { blog: name, error: e instanceof Error ? e.message : String(e) });
      }
    }
    try {
      tenant.db.close();
    } catch (e) {
      log.error("closing a blog failed", { blog: name, error: e instanceof Error ? e.message : String(e) });
    }
  }

  closeAll(): void {
    for (const name of [...this.open.keys()]) this.close(name);
  }

  private openTenant(name: TenantName): Tenant {
    const path = tenantPath(this.options.dataDir, name);
    // A request never creates a database: check first, and open without the create flag.
    if (!existsSync(path)) throw new UnknownBlogError(name);
    const started = performance.now();
    let db: Database | undefined;
    try {
      db = openBlogDatabase(path);
      // A blog behind the binary's schema is migrated when it opens; a newer one is refused
      // by pendingMigrations before anything is written.
      migrate(db, this.options.migrations ?? MIGRATIONS);
    } catch (e) {
      db?.close();
      this.stats.openFailures++;
      if (!existsSync(path)) throw new UnknownBlogError(name);
      const reason = e instanceof Error ? e.message : String(e);
      if (this.failures.get(name) !== reason) {
        this.failures.set(name, reason);
        log.error("cannot open blog", { blog: name, error: reason });
      }
      throw new BlogUnavailableError(name, reason);
    } finally {
      this.stats.openMs += performance.now() - started;
    }
    this.failures.delete(name);
    return { name, path, db };
  }
}
