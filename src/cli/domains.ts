// `writekit domains rebuild`: the custom domain map (DATA/domains.json) made again from every
// blog's `custom_domain` setting, e.g. after restoring a backup or editing blogs with sqlite3. Only
// proven domains go in (`domain_proven` equals `custom_domain`); pending ones are listed.
import type { Database } from "bun:sqlite";
import { getSettings } from "../blog/settings.ts";
import { allowParentDomainFrom, commonOptions } from "../config.ts";
import {
  buildDomainMap,
  DomainError,
  domainsFile,
  loadDomains,
  saveDomains,
  type DomainClaim,
} from "../tenants/domains.ts";
import { schemaVersion } from "../tenants/migrate.ts";
import { listTenantNames, tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { addressArg, err, exitCodesHelp, out, parse, usageError, type Command } from "./command.ts";
import { existingDataDir } from "./datadir.ts";

const usage = `Usage: writekit domains rebuild [--domain DOMAIN] [--allow-parent-domain] [--data DIR]

Rebuilds DATA/domains.json, the map from custom domains to blogs that \`writekit serve\` loads at
start (and reloads when the file changes), from every blog's custom_domain setting. Only domains
whose DNS proved the claim go in; pending ones (no proof yet) are listed and left out.
  --domain DOMAIN        the server's own domain (env WRITEKIT_DOMAIN; default localhost): a
                         custom domain inside it is refused, and one under its parent domain
                         (example.com for blogs.example.com) too, unless
  --allow-parent-domain  (env WRITEKIT_ALLOW_PARENT_DOMAIN=1), as serve takes it
When two blogs set the same domain, the blog that held it keeps it and the other is reported.
\`writekit restore\` runs it for you after restoring blogs.

${exitCodesHelp("a blog could not be read, a domain was refused, or there is no data directory")}`;

/** The first schema version whose blogs record proof (0004); a domain set before it was live without any. */
const PROOF_SINCE_VERSION = 4;

function readCustomDomain(path: string): { domain: string; proven: boolean } {
  let db: Database | undefined;
  try {
    db = openBlogDatabase(path, { readonly: true });
    const settings = getSettings(db);
    const domain = settings.custom_domain.trim();
    // Read-only, so a blog not yet migrated is read as it is: its migration would keep its domain as proven.
    const proven = schemaVersion(db) < PROOF_SINCE_VERSION || (domain !== "" && settings.domain_proven === domain);
    return { domain, proven };
  } finally {
    db?.close();
  }
}

/**
 * Writes DATA/domains.json from every blog's custom_domain setting (proven ones only), printing each
 * domain and each problem (an unreadable blog, a domain two blogs set, a refused one). Returns the
 * problems' count.
 */
export function rebuildDomains(
  dataDir: string,
  options: { instanceDomain: string; allowParentDomain: boolean },
  print: { out(line: string): void; err(line: string): void } = { out, err },
): number {
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
      const { domain, proven } = readCustomDomain(tenantPath(dataDir, name));
      if (domain && proven) claims.push({ name, domain });
      else if (domain)
        print.out(
          `${name}: ${domain} is pending (its DNS has not proved the claim yet); left out until the author checks it in Settings`,
        );
    } catch (e) {
      failed++;
      print.err(`${name}: cannot read its settings: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const built = buildDomainMap(claims, previous, options);
  for (const c of built.conflicts)
    print.err(
      `${c.domain}: set by ${[c.kept, ...c.refused].join(", ")}; it stays with ${c.kept}, refused for ${c.refused.join(", ")}`,
    );
  for (const i of built.invalid) print.err(`${i.name}: its custom domain is refused: ${i.reason}`);
  saveDomains(dataDir, built.map);
  for (const [domain, name] of built.map) print.out(`${domain} → ${name}`);
  const problems = failed + built.conflicts.length + built.invalid.length;
  print.out(
    `${built.map.size} custom domain${built.map.size === 1 ? "" : "s"} written to ${domainsFile(dataDir)}${problems ? `; ${problems} problem${problems === 1 ? "" : "s"} reported above` : ""}`,
  );
  return problems;
}

async function rebuild(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...commonOptions, domain: { type: "string" }, "allow-parent-domain": { type: "boolean" } },
    "domains",
  );
  if (values.help) return (out(usage), 0);
  if (positionals.length)
    throw usageError(`domains rebuild takes no arguments, got: ${positionals.join(" ")}`, "domains");
  const { domain } = addressArg({ domain: values.domain });
  const dataDir = existingDataDir(values);
  return rebuildDomains(dataDir, { instanceDomain: domain, allowParentDomain: allowParentDomainFrom(values) }) ? 1 : 0;
}

export const domainsCommand: Command = {
  name: "domains",
  summary: "rebuild the custom domain map from the blogs",
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "rebuild":
        return rebuild(rest);
      case "--help":
      case "-h":
        return (out(usage), 0);
      case undefined:
        throw usageError("domains needs a command: rebuild", "domains");
      default:
        if (sub.startsWith("-")) throw usageError("domains needs a command first: rebuild", "domains");
        throw usageError(`unknown domains command "${sub}"; the only one is rebuild`, "domains");
    }
  },
};
