// The blog a request is for, opened: the Host was resolved once by the front door (visit.ts); this
// hands over the database of that blog and no other. A request that writes or awaits uses the
// pool's handle and holds a lease on it until it is answered; a page render is one synchronous
// read, through the registry's cheapest connection (registry.read).
import type { Database } from "bun:sqlite";
import { customCssPath } from "../blog/customcss.ts";
import { getMedia, mediaUrl } from "../blog/media.ts";
import { parseMenu } from "../blog/menu.ts";
import { getSettings, type Settings } from "../blog/settings.ts";
import type { Tenant } from "../tenants/opener.ts";
import type { BlogChrome } from "./layout.tsx";
import type { Services } from "./services.ts";
import type { Visit } from "./visit.ts";

export interface BlogRequest {
  tenant: Tenant;
  db: Database;
  settings: Settings;
  origin: string;
  chrome: BlogChrome;
}

/** Opens the blog the Host names; throws the typed errors onError turns into 400/404/503 pages. */
export function openBlog(services: Services, visit: Visit): BlogRequest {
  const tenant = services.pool.get(visit.blog);
  // Held until the answer is ready, so an eviction while the request awaits cannot close it.
  visit.hold(services.registry.open(tenant.name));
  return blogRequest(tenant, visit);
}

/** Runs one synchronous read of the blog the Host names (a page render); throws as openBlog does. */
export function readBlog<T>(services: Services, visit: Visit, use: (blog: BlogRequest) => T): T {
  return services.pool.read(visit.blog, (tenant) => use(blogRequest(tenant, visit)));
}

function blogRequest(tenant: Tenant, visit: Visit): BlogRequest {
  const settings = getSettings(tenant.db);
  const origin = visit.origin;
  const icon = settings.icon ? getMedia(tenant.db, settings.icon) : null;
  return {
    tenant,
    db: tenant.db,
    settings,
    origin,
    chrome: {
      title: settings.title || tenant.name,
      description: settings.description,
      origin,
      customCssPath: customCssPath(settings.custom_css),
      menu: parseMenu(settings.menu),
      icon: icon ? { href: mediaUrl(icon), type: icon.type, sizes: `${icon.width}x${icon.height}` } : undefined,
    },
  };
}
