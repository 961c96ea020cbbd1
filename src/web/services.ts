// What the web layer is given: configuration and the long-lived objects every route shares.
import type { Server } from "bun";
import type { ViewCounter } from "../blog/views.ts";
import type { Config } from "../config.ts";
import type { TenantName } from "../tenants/names.ts";
import type { Pool } from "../tenants/pool.ts";
import type { NodePlacement } from "../tenants/cluster.ts";
import type { BlogRegistry } from "../tenants/registry.ts";
import type { ResolveTxt } from "../tenants/domainproof.ts";
import type { SiteResolver } from "../tenants/resolve.ts";
import type { Metrics } from "./metrics.ts";
import type { PageCache } from "./pagecache.ts";
import type { PasswordGate } from "./passwordgate.ts";

export interface Services {
  config: Config;
  /** The only opener of blog files in this process: leases, change detection, the WAL index cut. */
  registry: BlogRegistry;
  /** Which blogs stay open (an LRU over the registry). */
  pool: Pool;
  /** Rendered reader pages; a blog's entries are dropped whenever it changes. */
  pages: PageCache;
  /** Custom domain → blog; filled by the operations side, empty until a blog claims a domain. */
  customDomains: Map<string, TenantName>;
  /** Host header → site, memoised (reads customDomains on every call). */
  sites: SiteResolver;
  /** Page views counted in memory, written by the flusher. */
  views: ViewCounter;
  /** The socket peer's address (tests inject one). */
  peer: (request: Request, server: Server<unknown> | null | undefined) => string | null;
  /** The clock, injectable so tests can move time (scheduled posts, rate limits). */
  now: () => Date;
  /** What /metrics reports; one registry per server (and per test). */
  metrics: Metrics;
  /** This node's placement in a cluster (`--placement`), or null on a single node. */
  cluster: NodePlacement | null;
  /** DNS TXT look-ups for custom domain proofs (node:dns; tests pass a fake). */
  resolveTxt: ResolveTxt;
  /** Every argon2id verify and hash of the server goes through it: a few at once, 503 beyond (tests pace it). */
  passwords: PasswordGate;
}
