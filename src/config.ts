// Flags and environment → one typed Config. This is the only module that reads process.env.
import { resolve } from "node:path";
import { AddressRangeError, parseAddressRange } from "./addresses.ts";

export interface Config {
  /** Absolute path of the data directory; blogs live in `<dataDir>/tenants/<name>.db`. */
  dataDir: string;
  port: number;
  hostname: string;
  /** Blogs answer at `<name>.<domain>`. */
  domain: string;
  /** Most blog databases kept open at once (the LRU pool's cap). */
  maxOpen: number;
  /** How often recorded page views are appended to the journal (DATA/views/). */
  flushIntervalMs: number;
  /**
   * Peers whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses and CIDR ranges, as
   * parseAddressRange writes them. None by default: a proxy must be named to be believed.
   */
  trustedProxies: string[];
  logFormat: "text" | "json";
  /** When set, /metrics also answers `Authorization: Bearer <token>` from anywhere (not only loopback). */
  metricsToken: string | null;
  /** One log line per request (method, host, path, status, ms). */
  accessLog: boolean;
  /** Cut a closed blog's WAL index (-shm) back to 3 bytes right after its last connection closes. */
  cutWalIndex: boolean;
  /** Most megabytes of rendered pages kept in memory, in front of the page store. */
  pageCacheMb: number;
  /** Most megabytes of rendered pages kept on disk (DATA/cache/pages.db); 0 keeps them in memory only. */
  pageStoreMb: number;
  /** The blogs are replicated by Litestream: SQLite settings it can follow (tenants/replication.ts). */
  replicated: boolean;
  /** The cluster's placement file (which blog lives on which node), or null on a single node. */
  placementFile: string | null;
  /** This node's name in the placement file. */
  node: string | null;
  /**
   * The scheme readers reach the blogs by, when the operator knows it (`--public-scheme`); null:
   * the request's own, or a trusted proxy's X-Forwarded-Proto. Absolute links and the cookie's
   * Secure flag follow it; the host always comes from the request.
   */
  publicScheme: "http" | "https" | null;
  /**
   * Custom domains under the registrable domain of `domain` (example.com for blogs.example.com)
   * are refused unless this is set (`--allow-parent-domain`): such a blog would pass for the
   * operator's own site.
   */
  allowParentDomain: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** The options every command accepts, in node:util parseArgs form. */
export const commonOptions = {
  data: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The options that decide a blog's address: commands that print one (tenant create, import) take them too. */
export const addressOptions = {
  domain: { type: "string" },
  port: { type: "string" },
} as const;

/**
 * Rendered pages kept in memory by default. The page store on disk holds far more and answers in
 * a fraction of a render, so memory holds the hottest pages (docs/BENCHMARKS.md: 32 MB and 64 MB
 * served the reader mix alike within noise, 32 MB kept its peak RSS near 200 MB instead of ~265;
 * a blog set whose every page is read evenly is faster at 64).
 */
export const DEFAULT_PAGE_CACHE_MB = 32;

export const serveOptions = {
  ...commonOptions,
  ...addressOptions,
  hostname: { type: "string" },
  "max-open": { type: "string" },
  "flush-interval": { type: "string" },
  "trusted-proxy": { type: "string", multiple: true },
  "log-format": { type: "string" },
  "metrics-token": { type: "string" },
  "access-log": { type: "boolean" },
  "no-wal-index-cut": { type: "boolean" },
  "page-cache-mb": { type: "string" },
  "page-store-mb": { type: "string" },
  replicated: { type: "boolean" },
  placement: { type: "string" },
  node: { type: "string" },
  "public-scheme": { type: "string" },
  "allow-parent-domain": { type: "boolean" },
} as const;

/** The options of the commands that read or change the placement (`placement`, `node`, `tenant delete`). */
export const clusterOptions = {
  ...commonOptions,
  placement: { type: "string" },
  node: { type: "string" },
  litestream: { type: "string" },
  "litestream-config": { type: "string" },
} as const;

export interface ClusterConfig {
  dataDir: string;
  /** The placement file (`--placement`, env WRITEKIT_PLACEMENT), or null when there is none. */
  placementFile: string | null;
  /** This node (`--node`, env WRITEKIT_NODE). */
  node: string | null;
  /** The litestream binary (`--litestream`, env WRITEKIT_LITESTREAM; default `litestream` on the PATH). */
  litestream: string;
  /** This node's rendered Litestream config, kept up to date by adopt, release and delete (`--litestream-config`, env WRITEKIT_LITESTREAM_CONFIG). */
  litestreamConfig: string | null;
}

const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function nodeFrom(values: Values, env: Record<string, string | undefined>): string | null {
  const node = (values.node as string | undefined) ?? env.WRITEKIT_NODE ?? null;
  if (node !== null && !NODE_NAME.test(node))
    throw new ConfigError(`--node "${node}" is not a node name: 1-63 lower-case letters, digits and hyphens`);
  return node;
}

function placementFrom(values: Values, env: Record<string, string | undefined>): string | null {
  const file = (values.placement as string | undefined) ?? env.WRITEKIT_PLACEMENT ?? "";
  return file.trim() === "" ? null : resolve(file);
}

export function loadClusterConfig(
  values: Values = {},
  env: Record<string, string | undefined> = process.env,
): ClusterConfig {
  const litestreamConfig = (values["litestream-config"] as string | undefined) ?? env.WRITEKIT_LITESTREAM_CONFIG ?? "";
  return {
    dataDir: dataDirFrom(values, env),
    placementFile: placementFrom(values, env),
    node: nodeFrom(values, env),
    litestream: (values.litestream as string | undefined) ?? env.WRITEKIT_LITESTREAM ?? "litestream",
    litestreamConfig: litestreamConfig.trim() === "" ? null : resolve(litestreamConfig),
  };
}

export function dataDirFrom(values: Values, env: Record<string, string | undefined> = process.env): string {
  const dir = (values.data as string | undefined) ?? env.WRITEKIT_DATA ?? "./data";
  if (dir.trim() === "") throw new ConfigError("--data must not be empty");
  return resolve(dir);
}

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The instance's own domain (`--domain`, env WRITEKIT_DOMAIN, default localhost): blogs answer at `<name>.<domain>`. */
export function domainFrom(values: Values, env: Record<string, string | undefined> = process.env): string {
  const domain = String(values.domain ?? env.WRITEKIT_DOMAIN ?? "localhost")
    .toLowerCase()
    .replace(/\.$/, "");
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
    throw new ConfigError(`--domain "${domain}" is not a valid host name`);
  }
  return domain;
}

/**
 * `--trusted-proxy` (repeated, or comma-separated) or WRITEKIT_TRUSTED_PROXIES (commas or spaces):
 * each an address or a CIDR range. None by default: trusting loopback by default made every visitor
 * behind a local proxy that sends no X-Forwarded-For one client, 127.0.0.1.
 */
function trustedProxiesFrom(values: Values, env: Record<string, string | undefined>): string[] {
  const flags = values["trusted-proxy"] as string[] | undefined;
  const [name, entries] =
    flags !== undefined
      ? ["--trusted-proxy", flags.flatMap((f) => f.split(","))]
      : ["WRITEKIT_TRUSTED_PROXIES", (env.WRITEKIT_TRUSTED_PROXIES ?? "").split(/[\s,]+/)];
  const proxies: string[] = [];
  for (const entry of entries.map((e) => e.trim())) {
    if (entry === "") {
      if (flags !== undefined)
        throw new ConfigError(`${name} must not be empty; give an address like 127.0.0.1 or a range like 10.0.0.0/8`);
      continue;
    }
    try {
      const range = parseAddressRange(entry);
      if (!proxies.includes(range)) proxies.push(range);
    } catch (e) {
      if (e instanceof AddressRangeError) throw new ConfigError(`${name}: ${e.message}`);
      throw e;
    }
  }
  return proxies;
}

/** Where blogs answer: `<name>.<domain>` on `port`. */
export interface Address {
  domain: string;
  port: number;
}

export function loadAddress(values: Values = {}, env: Record<string, string | undefined> = process.env): Address {
  return {
    domain: domainFrom(values, env),
    port: integer("--port", String(values.port ?? env.PORT ?? "3000"), 0, 65535),
  };
}

/** `localhost` and its sub-domains resolve to this machine without DNS, and are served without TLS. */
export function isLocalDomain(domain: string): boolean {
  return domain === "localhost" || domain.endsWith(".localhost");
}

/**
 * The address readers use for a blog. On a local domain that is the server itself
 * (`http://alice.localhost:3000/`); on any other it is the TLS proxy in front of it
 * (`https://alice.blogs.example.com/`), which forwards to the port.
 */
export function blogUrl(address: Address, name: string, path = "/"): string {
  if (!isLocalDomain(address.domain)) return `https://${name}.${address.domain}${path}`;
  return `http://${name}.${address.domain}${address.port === 80 ? "" : `:${address.port}`}${path}`;
}

/** One line saying which settings made the addresses printed beside it. */
export function describeAddress(address: Address): string {
  return isLocalDomain(address.domain)
    ? `(from --domain/WRITEKIT_DOMAIN "${address.domain}" and --port/PORT ${address.port}: what \`writekit serve\` with the same settings answers)`
    : `(from --domain/WRITEKIT_DOMAIN "${address.domain}": https through your TLS proxy, which forwards to --port/PORT ${address.port})`;
}

/** `--allow-parent-domain` or WRITEKIT_ALLOW_PARENT_DOMAIN=1 (see Config.allowParentDomain). */
export function allowParentDomainFrom(values: Values, env: Record<string, string | undefined> = process.env): boolean {
  return values["allow-parent-domain"] === true || /^(1|true|yes|on)$/i.test(env.WRITEKIT_ALLOW_PARENT_DOMAIN ?? "");
}

/** `--public-scheme` or WRITEKIT_PUBLIC_SCHEME: "http" or "https" (a URL's scheme part is forgiven), or unset. */
function publicSchemeFrom(values: Values, env: Record<string, string | undefined>): Config["publicScheme"] {
  const raw = (values["public-scheme"] as string | undefined) ?? env.WRITEKIT_PUBLIC_SCHEME;
  if (raw === undefined || (raw === "" && values["public-scheme"] === undefined)) return null;
  const scheme = raw
    .trim()
    .toLowerCase()
    .replace(/:(\/\/)?$/, "");
  if (scheme === "http" || scheme === "https") return scheme;
  throw new ConfigError(
    `--public-scheme must be "http" or "https", got "${raw}" (blogs keep their own host names, so only the scheme can be set)`,
  );
}

export function loadConfig(values: Values = {}, env: Record<string, string | undefined> = process.env): Config {
  const { domain, port } = loadAddress(values, env);
  const logFormat = String(values["log-format"] ?? env.WRITEKIT_LOG_FORMAT ?? "text");
  if (logFormat !== "text" && logFormat !== "json")
    throw new ConfigError(`--log-format must be "text" or "json", got "${logFormat}"`);
  const proxies = trustedProxiesFrom(values, env);
  const placementFile = placementFrom(values, env);
  const node = nodeFrom(values, env);
  if (placementFile && !node)
    throw new ConfigError("--placement needs --node NAME (env WRITEKIT_NODE): this node's name in the placement file");
  const metricsToken = String(values["metrics-token"] ?? env.WRITEKIT_METRICS_TOKEN ?? "");
  // A guessable token would expose the metrics to anyone who tries a few.
  if (metricsToken && metricsToken.length < 16)
    throw new ConfigError(`--metrics-token must be at least 16 characters, got ${metricsToken.length}`);
  return {
    dataDir: dataDirFrom(values, env),
    port,
    hostname: String(values.hostname ?? "localhost"),
    domain,
    // 50, not the 500 of the article: readers are served rendered pages from memory and disk, a blog
    // read rarely is rendered on a brief connection, and each open handle holds ~300-400 KB
    // (docs/BENCHMARKS.md, "The reader mix, 2026-12-02, night").
    maxOpen: integer("--max-open", String(values["max-open"] ?? "50"), 1, 1_000_000),
    flushIntervalMs: integer("--flush-interval", String(values["flush-interval"] ?? "1000"), 10, 3_600_000),
    trustedProxies: proxies,
    logFormat,
    metricsToken: metricsToken || null,
    accessLog: values["access-log"] === true || /^(1|true|yes|on)$/i.test(env.WRITEKIT_ACCESS_LOG ?? ""),
    cutWalIndex: values["no-wal-index-cut"] !== true && !/^(0|false|no|off)$/i.test(env.WRITEKIT_WAL_INDEX_CUT ?? ""),
    pageCacheMb: integer(
      "--page-cache-mb",
      String(values["page-cache-mb"] ?? env.WRITEKIT_PAGE_CACHE_MB ?? String(DEFAULT_PAGE_CACHE_MB)),
      1,
      1_000_000,
    ),
    pageStoreMb: integer(
      "--page-store-mb",
      String(values["page-store-mb"] ?? env.WRITEKIT_PAGE_STORE_MB ?? "1024"),
      0,
      1_000_000,
    ),
    replicated: values.replicated === true || /^(1|true|yes|on)$/i.test(env.WRITEKIT_REPLICATED ?? ""),
    placementFile,
    node,
    publicScheme: publicSchemeFrom(values, env),
    allowParentDomain: allowParentDomainFrom(values, env),
  };
}
