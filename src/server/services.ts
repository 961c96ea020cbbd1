// The long-lived objects of a running server, assembled once from the Config.
import { join } from "node:path";
import { ViewCounter } from "../blog/views.ts";
import type { Config } from "../config.ts";
import { log } from "../log.ts";
import { systemTxtResolver } from "../tenants/domainproof.ts";
import { DomainError, loadDomains } from "../tenants/domains.ts";
import { PageStore } from "../pagestore.ts";
import { fileFingerprint } from "../tenants/changes.ts";
import { parseTenantName, tenantPath, type TenantName } from "../tenants/names.ts";
import { buildId } from "../version.ts";
import { Pool } from "../tenants/pool.ts";
import { BlogRegistry } from "../tenants/registry.ts";
import { NodePlacement } from "../tenants/cluster.ts";
import { SiteResolver } from "../tenants/resolve.ts";
import { Metrics } from "../web/metrics.ts";
import { PageCache } from "../web/pagecache.ts";
import { PasswordGate } from "../web/passwordgate.ts";
import type { Services } from "../web/services.ts";

/** Page cache budget: enough for the hot pages of thousands of blogs, far below the RSS goal. */

/** DATA/domains.json; an unreadable file is logged and the server starts without custom domains. */
function loadCustomDomains(config: Config): Map<string, TenantName> {
  try {
    const { map, problems } = loadDomains(config.dataDir, {
      instanceDomain: config.domain,
      allowParentDomain: config.allowParentDomain,
    });
    for (const problem of problems) log.warn(problem);
    return map;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    log.error(e.message);
    return new Map();
  }
}

/** DATA/cache/pages.db, or null when it is turned off or cannot be had. */
function openPageStore(config: Config): PageStore | null {
  if (config.pageStoreMb === 0) return null;
  return PageStore.open(join(config.dataDir, "cache", "pages.db"), {
    budgetBytes: config.pageStoreMb * 1024 * 1024,
    buildId: buildId(),
    stateOf: (name) => fileFingerprint(tenantPath(config.dataDir, parseTenantName(name))),
  });
}

export function createServices(config: Config, overrides: Partial<Services> = {}): Services {
  const registry =
    overrides.registry ??
    new BlogRegistry({ dataDir: config.dataDir, cutWalIndex: config.cutWalIndex, replicated: config.replicated });
  const services: Services = {
    config,
    registry,
    sites: new SiteResolver(config.domain, () => services.customDomains),
    pool: new Pool(registry, {
      maxOpen: config.maxOpen,
      mayKeepOpen: (name) =>
        !services.cluster || (services.cluster.where(name).kind === "here" && !services.cluster.isDraining(name)),
    }),
    pages: overrides.pages ?? new PageCache(config.pageCacheMb * 1024 * 1024, openPageStore(config)),
    customDomains: overrides.customDomains ?? loadCustomDomains(config),
    views: new ViewCounter(() => services.now()),
    peer: (request, server) => server?.requestIP(request)?.address ?? null,
    now: () => new Date(),
    metrics: new Metrics(() => services),
    cluster: config.placementFile && config.node ? new NodePlacement(config.placementFile, config.node) : null,
    passwords: new PasswordGate(),
    resolveTxt: systemTxtResolver,
    ...overrides,
  };
  // Someone else committed to a blog (seen at a close, an open, or a writer's return): drop its pages.
  services.registry.onChange((name) => services.pages.invalidate(name));
  services.registry.onKnownState((name, state) => services.pages.remember(name, state));
  services.cluster?.load();
  return services;
}
