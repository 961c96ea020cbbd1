// Request → the blog it is for: Host resolution, then the pool. Every blog route goes through here,
// so a request can only ever reach the one database its Host names.
import type { Database } from "bun:sqlite";
import { customCssPath } from "../blog/customcss.ts";
import { getSettings, type Settings } from "../blog/settings.ts";
import type { Site } from "../tenants/resolve.ts";
import type { Tenant } from "../tenants/pool.ts";
import type { BlogChrome } from "./layout.tsx";
import type { Services } from "./services.ts";

export interface BlogRequest {
  tenant: Tenant;
  db: Database;
  settings: Settings;
  origin: string;
  chrome: BlogChrome;
}

export function siteOf(services: Services, request: Request): Site {
  return services.sites.resolve(request.headers.get("host"));
}

export function originOf(request: Request): string {
  const host = request.headers.get("host") ?? "localhost";
  const proto = new URL(request.url).protocol.replace(":", "");
  return `${proto}://${host.toLowerCase()}`;
}

/** Opens the blog the Host names; throws the typed errors onError turns into 400/404/503 pages. */
export function blogOf(services: Services, request: Request, site: Site = siteOf(services, request)): BlogRequest | null {
  if (site.kind !== "blog") return null;
  const tenant = services.pool.get(site.name);
  const settings = getSettings(tenant.db);
  const origin = originOf(request);
  return {
    tenant,
    db: tenant.db,
    settings,
    origin,
    chrome: { title: settings.title || tenant.name, description: settings.description, origin, customCssPath: customCssPath(settings.custom_css) },
  };
}

/**
 * Any request that may write (every method but GET and HEAD) drops its blog's cached pages once
 * it is handled, so the next read renders what was just committed.
 */
export function invalidateAfterWrite(services: Services, request: Request): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  try {
    const site = siteOf(services, request);
    if (site.kind === "blog") services.pages.invalidate(site.name);
  } catch {
    // A malformed Host never reached a blog.
  }
}
