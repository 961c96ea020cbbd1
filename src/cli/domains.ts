// `writekit domains rebuild`: the custom domain map (DATA/domains.json) made again from every
// blog's `custom_domain` setting, e.g. after restoring a backup or editing blogs with sqlite3.
import type { Database } from "bun:sqlite";
import { getSettings } from "../blog/settings.ts";
import { commonOptions } from "../config.ts";
import { buildDomainMap, DomainError, domainsFile, loadDomains, saveDomains, type DomainClaim } from "../tenants/domains.ts";
import { listTenantNames, tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { addressArg, err, exitCodesHelp, out, parse, usageError, type Command } from "./command.ts";
import { existingDataDir } from "./datadir.ts";

const usage = `Usage: writekit domains rebuild [--domain DOMAIN] [--data DIR]

Rebuilds DATA/domains.json, the map from custom domains to blogs that \`writekit serve\` loads at
start (and reloads when the file changes), from every blog's custom_domain setting.
  --domain DOMAIN   the server's own domain (env WRITEKIT_DOMAIN; default localhost): a custom
                    domain inside it is refused
When two blogs set the same domain, the blog that held it keeps it and the other is reported.
\`writekit restore\` runs it for you after restoring blogs.

${exitCodesHelp("a blog could not be read, a domain was refused, or there is no data directory")}`;

function readCustomDomain(path: string): string {
  let db: Database | undefined;
  try {
    db = openBlogDatabase(path, { readonly: true });
    return getSettings(db).custom_domain.trim();
  } finally {
    db?.close();
  }
}

/**
 * Writes DATA/domains.json from every blog's custom_domain setting, printing each domain and each
 * problem (an unreadable blog, a domain two blogs set, a refused one). Returns the problems' count.
 */
export function rebuildDomains(dataDir: string, instanceDomain: string, print: { out(line: string): void; err(line: string): void } = { out, err }): number {
  let previous: ReadonlyMap<string, TenantName> = new Map();
  try {
    previous = loadDomains(dataDir).map;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    print.err(`note: ${e.message}; replacing it`);
  }
  const claims: DomainClaim[] = [];
  let failed = 0;
  for (const name of listTenantNames(dataDir)) {
    try {
      const domain = readCustomDomain(tenantPath(dataDir, name));
      if (domain) claims.push({ name, domain });
    } catch (e) {
      failed++;
      print.err(`${name}: cannot read its settings: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const built = buildDomainMap(claims, previous, instanceDomain);
  for (const c of built.conflicts) print.err(`${c.domain}: set by ${[c.kept, ...c.refused].join(", ")}; it stays with ${c.kept}, refused for ${c.refused.join(", ")}`);
  for (const i of built.invalid) print.err(`${i.name}: its custom domain is refused: ${i.reason}`);
  saveDomains(dataDir, built.map);
  for (const [domain, name] of built.map) print.out(`${domain} → ${name}`);
  const problems = failed + built.conflicts.length + built.invalid.length;
  print.out(`${built.map.size} custom domain${built.map.size === 1 ? "" : "s"} written to ${domainsFile(dataDir)}${problems ? `; ${problems} problem${problems === 1 ? "" : "s"} reported above` : ""}`);
  return problems;
}

async function rebuild(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...commonOptions, domain: { type: "string" } }, "domains");
  if (values.help) return out(usage), 0;
  if (positionals.length) throw usageError(`domains rebuild takes no arguments, got: ${positionals.join(" ")}`, "domains");
  const { domain } = addressArg({ domain: values.domain });
  const dataDir = existingDataDir(values);
  return rebuildDomains(dataDir, domain) ? 1 : 0;
}

export const domainsCommand: Command = {
  name: "domains",
  summary: "rebuild the custom domain map from the blogs",
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "rebuild": return rebuild(rest);
      case "--help": case "-h": return out(usage), 0;
      case undefined: throw usageError("domains needs a command: rebuild", "domains");
      default:
        if (sub.startsWith("-")) throw usageError("domains needs a command first: rebuild", "domains");
        throw usageError(`unknown domains command "${sub}"; the only one is rebuild`, "domains");
    }
  },
};
