// Custom domains: a blog may answer to a host name of its own (its `custom_domain` setting), once
// the domain's DNS has proved the claim (domainproof.ts). The map domain → blog of the proven ones
// lives in DATA/domains.json, so the server resolves a Host without opening any blog; it is loaded
// at start, written atomically on every change, and can be rebuilt from the blogs' settings
// (`writekit domains rebuild`). One domain belongs to at most one blog.
import { existsSync, readFileSync, watch } from "node:fs";
import { join, resolve } from "node:path";
import { getDomain } from "tldts";
import { writeFileAtomically } from "./files.ts";
import { isTenantName, tenantPath, type TenantName } from "./names.ts";

export class DomainError extends Error {
  override name = "DomainError";
}

export class DomainTakenError extends DomainError {
  override name = "DomainTakenError";
  constructor(
    readonly domain: string,
    readonly owner: TenantName,
  ) {
    super(`the domain "${domain}" already belongs to another blog`);
  }
}

export type DomainMap = Map<string, TenantName>;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The host name lower-cased and without a trailing dot, or null when it is not a syntactically valid one. */
export function normaliseHostName(input: string): string | null {
  const host = input.trim().toLowerCase().replace(/\.$/, "");
  return host.length > 0 && host.length <= 253 && host.split(".").every((l) => LABEL.test(l)) ? host : null;
}

/** What a custom domain may be on this server. */
export interface DomainRules {
  /** The server's own domain (--domain): names inside it are blogs' addresses, never custom domains. */
  instanceDomain?: string;
  /**
   * Names under the registrable domain the server's own address belongs to (example.com for
   * blogs.example.com) are refused unless the operator allows them (--allow-parent-domain).
   */
  allowParentDomain?: boolean;
}

/**
 * The registrable domain ("example.com", "example.co.uk") of the server's own domain, by the Public
 * Suffix List (tldts); null for a name with none, like localhost.
 */
export function parentDomainOf(instanceDomain: string): string | null {
  return getDomain(instanceDomain, { allowPrivateDomains: true });
}

/**
 * The host name in canonical form (lower case, no trailing dot), or a DomainError saying what is
 * wrong. A domain inside the instance's own domain is refused: `<name>.<domain>` already names
 * blogs, and a custom domain there would take another blog's address. One elsewhere under the
 * instance's parent domain is refused too unless allowed: a blog there would pass for the
 * operator's own site (login.example.com beside blogs.example.com).
 */
export function parseDomain(input: string, rules: DomainRules = {}): string {
  const shown = JSON.stringify(input.length > 80 ? input.slice(0, 80) + "…" : input);
  const domain = input.trim().toLowerCase().replace(/\.$/, "");
  if (domain === "") throw new DomainError("a domain must not be empty");
  if (domain.length > 253)
    throw new DomainError(`${shown} is ${domain.length} characters long; a domain has at most 253`);
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(domain) || domain.includes("/"))
    throw new DomainError(`${shown} is a URL; give only the host name, like blog.example.com`);
  if (domain.includes(":"))
    throw new DomainError(`${shown} has a port or is an IPv6 address; give only the host name, like blog.example.com`);
  if (domain.includes("*")) throw new DomainError(`${shown} is a wildcard; give one host name, like blog.example.com`);
  if (/[^\x21-\x7e]/.test(domain))
    throw new DomainError(
      `${shown} has spaces or non-ASCII characters; write an internationalised domain in its xn-- form`,
    );
  const labels = domain.split(".");
  if (labels.length < 2) throw new DomainError(`${shown} is not a full domain name; it needs a dot, like example.com`);
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined)
    throw new DomainError(
      `${shown} has an invalid part "${bad}": each part is 1-63 letters, digits and hyphens, not starting or ending with a hyphen`,
    );
  if (/^\d+$/.test(labels[labels.length - 1])) throw new DomainError(`${shown} is an IP address, not a domain name`);
  if (domain === "localhost" || domain.endsWith(".localhost"))
    throw new DomainError(`${shown} is a local name; a custom domain must be a public one`);
  const { instanceDomain } = rules;
  if (instanceDomain && (domain === instanceDomain || domain.endsWith("." + instanceDomain))) {
    throw new DomainError(
      `${shown} is inside this server's own domain ${instanceDomain}, where blogs already have their addresses`,
    );
  }
  const parent = instanceDomain && !rules.allowParentDomain ? parentDomainOf(instanceDomain) : null;
  if (parent && (domain === parent || domain.endsWith("." + parent))) {
    throw new DomainError(
      `${shown} is under ${parent}, the domain this server's own address (${instanceDomain}) belongs to; a blog there would pass for the operator's own site, so this server does not allow it (its operator can, with serve --allow-parent-domain)`,
    );
  }
  return domain;
}

export function domainsFile(dataDir: string): string {
  return join(resolve(dataDir), "domains.json");
}

export interface LoadedDomains {
  map: DomainMap;
  /** Entries that were skipped, each with the reason. */
  problems: string[];
}

/**
 * Reads DATA/domains.json; a missing file is an empty map, an unreadable one a DomainError. Entries
 * that are not valid (or that `rules` refuse) are skipped and reported as problems.
 */
export function loadDomains(dataDir: string, rules: DomainRules = {}): LoadedDomains {
  const file = domainsFile(dataDir);
  const map: DomainMap = new Map();
  const problems: string[] = [];
  if (!existsSync(file)) return { map, problems };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new DomainError(
      `${file} cannot be read (${e instanceof Error ? e.message : String(e)}); rebuild it with: writekit domains rebuild`,
    );
  }
  const domains = (data as { domains?: unknown })?.domains;
  if (typeof domains !== "object" || domains === null || Array.isArray(domains)) {
    throw new DomainError(`${file} has no "domains" object; rebuild it with: writekit domains rebuild`);
  }
  for (const [key, name] of Object.entries(domains)) {
    try {
      const domain = parseDomain(key, rules);
      if (typeof name !== "string" || !isTenantName(name))
        throw new DomainError(`it maps to ${JSON.stringify(name)}, which is not a blog name`);
      map.set(domain, name);
    } catch (e) {
      problems.push(`${file}: skipped "${key}": ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { map, problems };
}

export function saveDomains(dataDir: string, map: ReadonlyMap<string, TenantName>): void {
  const domains = Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
  writeFileAtomically(domainsFile(dataDir), JSON.stringify({ domains }, null, 2) + "\n");
}

/** Replaces the map's entries in place (the server's resolver holds the same Map). */
function replaceEntries(map: DomainMap, next: ReadonlyMap<string, TenantName>): void {
  map.clear();
  for (const [domain, name] of next) map.set(domain, name);
}

/**
 * Puts `domain` live for the blog `name` (replacing the blog's previous domain) and saves the map:
 * call it once the domain is proven. Throws DomainError for a malformed domain, DomainTakenError
 * when another blog has it. The file is written before `map` changes, so memory never claims what
 * the disk does not.
 */
export function claimDomain(
  dataDir: string,
  map: DomainMap,
  name: TenantName,
  input: string,
  rules: DomainRules = {},
): string {
  const domain = parseDomain(input, rules);
  const owner = map.get(domain);
  if (owner !== undefined && owner !== name) throw new DomainTakenError(domain, owner);
  const next = new Map([...map].filter(([, n]) => n !== name));
  next.set(domain, name);
  saveDomains(dataDir, next);
  replaceEntries(map, next);
  return domain;
}

/** Takes every domain away from the blog `name` and saves the map; returns the domains removed. */
export function releaseDomain(dataDir: string, map: DomainMap, name: TenantName): string[] {
  const removed = [...map].filter(([, n]) => n === name).map(([d]) => d);
  if (removed.length === 0) return removed;
  const next = new Map([...map].filter(([, n]) => n !== name));
  saveDomains(dataDir, next);
  replaceEntries(map, next);
  return removed;
}

export interface DomainClaim {
  name: TenantName;
  domain: string;
}

export interface BuiltDomains {
  map: DomainMap;
  /** A domain set by several blogs: it stays with `kept`, the others are refused. */
  conflicts: { domain: string; kept: TenantName; refused: TenantName[] }[];
  invalid: { name: TenantName; domain: string; reason: string }[];
}

/**
 * The map the proven claims describe (the caller leaves pending ones out). When several blogs set the same domain, the blog that
 * holds it in `previous` keeps it (it claimed it first); failing that, the first by name.
 */
export function buildDomainMap(
  claims: DomainClaim[],
  previous: ReadonlyMap<string, TenantName>,
  rules: DomainRules = {},
): BuiltDomains {
  const byDomain = new Map<string, TenantName[]>();
  const invalid: BuiltDomains["invalid"] = [];
  for (const claim of claims) {
    try {
      const domain = parseDomain(claim.domain, rules);
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), claim.name]);
    } catch (e) {
      invalid.push({ name: claim.name, domain: claim.domain, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  const map: DomainMap = new Map();
  const conflicts: BuiltDomains["conflicts"] = [];
  for (const [domain, names] of [...byDomain].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...names].sort();
    const holder = previous.get(domain);
    const kept = holder !== undefined && sorted.includes(holder) ? holder : sorted[0];
    map.set(domain, kept);
    if (sorted.length > 1) conflicts.push({ domain, kept, refused: sorted.filter((n) => n !== kept) });
  }
  return { map, conflicts, invalid };
}

/**
 * Calls `onChange` after DATA/domains.json is replaced by another process (`domains rebuild`).
 * The data directory is watched rather than the file, since an atomic write replaces the file.
 */
export function watchDomains(dataDir: string, onChange: () => void): () => void {
  try {
    const watcher = watch(resolve(dataDir), { persistent: false }, (_event, file) => {
      if (file && String(file) === "domains.json") onChange();
    });
    watcher.on("error", () => {});
    return () => watcher.close();
  } catch {
    return () => {};
  }
}

/** Loads the file into `map` in place; returns the problems, or throws DomainError and leaves `map` as it was. */
export function reloadDomains(dataDir: string, map: DomainMap, rules: DomainRules = {}): string[] {
  const loaded = loadDomains(dataDir, rules);
  replaceEntries(map, loaded.map);
  return loaded.problems;
}

/**
 * The blog a host name belongs to: a custom domain in `map`, or `<name>.<instanceDomain>` of a
 * blog that exists. Null otherwise (and for a malformed name). Never opens a blog.
 */
export function blogOfDomain(
  dataDir: string,
  map: ReadonlyMap<string, TenantName>,
  instanceDomain: string,
  input: string,
): TenantName | null {
  const host = normaliseHostName(input);
  if (host === null) return null;
  const custom = map.get(host);
  if (custom !== undefined) return existsSync(tenantPath(dataDir, custom)) ? custom : null;
  if (!host.endsWith("." + instanceDomain)) return null;
  const label = host.slice(0, -(instanceDomain.length + 1));
  if (!isTenantName(label)) return null;
  return existsSync(tenantPath(dataDir, label)) ? label : null;
}
