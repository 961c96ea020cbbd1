// What the web layer is given: configuration and the long-lived objects every route shares.
import type { Config } from "../config.ts";
import type { TenantName } from "../tenants/names.ts";
import type { Pool } from "../tenants/pool.ts";

export interface Services {
  config: Config;
  pool: Pool;
  /** Custom domain → blog; filled by the operations side, empty until a blog claims a domain. */
  customDomains: Map<string, TenantName>;
}
