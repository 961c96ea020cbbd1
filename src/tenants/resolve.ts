// Host header → which blog a request is for. `<name>.<domain>` names a blog, the bare domain (or
// an IP address) is the instance itself, and a custom domain maps to the blog that claimed it.
import { parseTenantName, TenantNameError, type TenantName } from "./names.ts";

export type Site = { kind: "blog"; name: TenantName } | { kind: "instance" };

/** The Host header is missing or not a host name: 400. */
export class BadHostError extends Error {
  override name = "BadHostError";
}

/** The Host is well-formed but no blog answers to it: 404. */
export class NoSuchSiteError extends Error {
  override name = "NoSuchSiteError";
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(reason);
  }
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** The lower-cased host name without its port; throws BadHostError when malformed. */
export function hostName(header: string | null | undefined): string {
  if (!header) throw new BadHostError("the request has no Host header");
  if (header.length > 300) throw new BadHostError("the Host header is too long");
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) {
    const m = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(value);
    if (!m) throw new BadHostError(`"${header}" is not a valid Host`);
    return `[${m[1]}]`;
  }
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) throw new BadHostError(`"${header}" is not a valid Host`);
  const host = m[1].replace(/\.$/, "");
  if (host === "" || host.length > 253 || !host.split(".").every((label) => LABEL.test(label))) {
    throw new BadHostError(`"${header}" is not a valid Host`);
  }
  return host;
}

function isIpAddress(host: string): boolean {
  return host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

export interface ResolveOptions {
  domain: string;
  /** Custom domain → blog, kept by the operations side; empty until a blog claims one. */
  customDomains?: ReadonlyMap<string, TenantName>;
}

export function resolveSite(header: string | null | undefined, options: ResolveOptions): Site {
  const host = hostName(header);
  const { domain } = options;
  if (host === domain || isIpAddress(host)) return { kind: "instance" };
  const custom = options.customDomains?.get(host);
  if (custom) return { kind: "blog", name: custom };
  if (host.endsWith("." + domain)) {
    const label = host.slice(0, -(domain.length + 1));
    if (label.includes(".")) throw new NoSuchSiteError(host, `"${host}" is not a blog address: use <name>.${domain}`);
    try {
      return { kind: "blog", name: parseTenantName(label) };
    } catch (e) {
      if (e instanceof TenantNameError)
        throw new NoSuchSiteError(host, `"${label}" cannot be a blog name: ${e.message}`);
      throw e;
    }
  }
  throw new NoSuchSiteError(host, `no blog answers to "${host}" on this server`);
}

/** What a Host header resolves to apart from custom domains, which can change at any time. */
interface Resolved {
  host: string;
  /** The site by name, or null when only a custom domain could make this host a blog. */
  site: Site | null;
  miss?: NoSuchSiteError;
}

/**
 * resolveSite with a memo of the Host headers already seen, so the hot path does no parsing.
 * Custom domains are looked up on every call, since the map changes while the server runs. The
 * memo is bounded, so junk Hosts cannot grow it without limit; malformed ones are not kept.
 */
export class SiteResolver {
  private readonly memo = new Map<string, Resolved>();

  constructor(
    private readonly domain: string,
    /** Read on every call, so the map may be replaced or changed while the server runs. */
    private readonly customDomains: () => ReadonlyMap<string, TenantName>,
    private readonly maxEntries = 20_000,
  ) {}

  resolve(header: string | null | undefined): Site {
    const key = header ?? "";
    let r = this.memo.get(key);
    if (!r) {
      const host = hostName(header); // throws BadHostError: never memoised
      try {
        r = { host, site: resolveSite(header, { domain: this.domain }) };
      } catch (e) {
        if (!(e instanceof NoSuchSiteError)) throw e;
        r = { host, site: null, miss: e };
      }
      if (this.memo.size >= this.maxEntries) this.memo.clear();
      this.memo.set(key, r);
    }
    if (r.site?.kind === "instance") return r.site;
    const custom = this.customDomains().get(r.host);
    if (custom) return { kind: "blog", name: custom };
    if (r.site) return r.site;
    throw r.miss!;
  }
}
