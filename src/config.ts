// Flags and environment → one typed Config. This is the only module that reads process.env.
import { resolve } from "node:path";

export interface Config {
  /** Absolute path of the data directory; blogs live in `<dataDir>/tenants/<name>.db`. */
  dataDir: string;
  port: number;
  hostname: string;
  /** Blogs answer at `<name>.<domain>`. */
  domain: string;
  /** Most blog databases kept open at once (the LRU pool's cap). */
  maxOpen: number;
  /** How often pending page views are written to the blogs. */
  flushIntervalMs: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustedProxies: string[];
  logFormat: "text" | "json";
  /** When set, /metrics also answers `Authorization: Bearer <token>` from anywhere (not only loopback). */
  metricsToken: string | null;
  /** One log line per request (method, host, path, status, ms). */
  accessLog: boolean;
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
} as const;

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

/** Where blogs answer: `<name>.<domain>` on `port`. */
export interface Address {
  domain: string;
  port: number;
}

export function loadAddress(values: Values = {}, env: Record<string, string | undefined> = process.env): Address {
  const domain = String(values.domain ?? env.WRITEKIT_DOMAIN ?? "localhost").toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
    throw new ConfigError(`--domain "${domain}" is not a valid host name`);
  }
  return { domain, port: integer("--port", String(values.port ?? env.PORT ?? "3000"), 0, 65535) };
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

export function loadConfig(values: Values = {}, env: Record<string, string | undefined> = process.env): Config {
  const { domain, port } = loadAddress(values, env);
  const logFormat = String(values["log-format"] ?? env.WRITEKIT_LOG_FORMAT ?? "text");
  if (logFormat !== "text" && logFormat !== "json") throw new ConfigError(`--log-format must be "text" or "json", got "${logFormat}"`);
  const proxies = (values["trusted-proxy"] as string[] | undefined) ??
    (env.WRITEKIT_TRUSTED_PROXIES ? env.WRITEKIT_TRUSTED_PROXIES.split(",").map((s) => s.trim()).filter(Boolean) : ["127.0.0.1", "::1"]);
  const metricsToken = String(values["metrics-token"] ?? env.WRITEKIT_METRICS_TOKEN ?? "");
  // A guessable token would expose the metrics to anyone who tries a few.
  if (metricsToken && metricsToken.length < 16) throw new ConfigError(`--metrics-token must be at least 16 characters, got ${metricsToken.length}`);
  return {
    dataDir: dataDirFrom(values, env),
    port,
    hostname: String(values.hostname ?? "localhost"),
    domain,
    // 100, not the 500 of the article: readers are served rendered pages from memory, so a handle is
    // needed only to render after a change, to write, and to flush views; each costs ~280 KiB.
    maxOpen: integer("--max-open", String(values["max-open"] ?? "100"), 1, 1_000_000),
    flushIntervalMs: integer("--flush-interval", String(values["flush-interval"] ?? "5000"), 10, 3_600_000),
    trustedProxies: proxies,
    logFormat,
    metricsToken: metricsToken || null,
    accessLog: values["access-log"] === true || /^(1|true|yes|on)$/i.test(env.WRITEKIT_ACCESS_LOG ?? ""),
  };
}
