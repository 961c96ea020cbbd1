// `writekit domains rebuild`: the custom domain map (DATA/domains.json) made again from every
// blog's `custom_domain` setting, e.g. after restoring a backup or editing blogs with sqlite3. Only
// proven domains go in (`domain_proven` equals `custom_domain`); pending ones are listed.
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { getSettings } from "../blog/settings.ts";
import { ConfigError, loadConfig, commonOptions } from "../config.ts";
import { buildDomainMap, DomainError, domainsFile, loadDomains, saveDomains, type DomainClaim } from "../tenants/domains.ts";
import { schemaVersion } from "../tenants/migrate.ts";
import { listTenantNames, tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { CliError, err, out, parse, type Command } from "./command.ts";

const usage = `Usage: writekit domains rebuild [--domain DOMAIN] [--allow-parent-domain] [--data DIR]

Rebuilds DATA/domains.json, the map from custom domains to blogs that \`writekit serve\` loads at
start (and reloads when the file changes), from every blog's custom_domain setting. Only domains
whose DNS proved the claim go in; pending ones (no proof yet) are listed and left out.
  --domain DOMAIN        the server's own domain (env WRITEKIT_DOMAIN; default localhost): a
                         custom domain inside it is refused, and one under its parent domain
                         (example.com for blogs.example.com) too, unless
  --allow-parent-domain  (env WRITEKIT_ALLOW_PARENT_DOMAIN=1), as serve takes it
When two blogs set the same domain, the blog that held it keeps it and the other is reported.
The exit code is 1 when a blog could not be read or a domain was refused.`;

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

async function rebuild(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...commonOptions, domain: { type: "string" }, "allow-parent-domain": { type: "boolean" } });
  if (values.help) return out(usage), 0;
  if (positionals.length) throw new CliError(`domains rebuild takes no arguments, got: ${positionals.join(" ")}`, 2);
  let dataDir: string, instanceDomain: string, allowParentDomain: boolean;
  try {
    ({ dataDir, domain: instanceDomain, allowParentDomain } = loadConfig({ data: values.data, domain: values.domain, "allow-parent-domain": values["allow-parent-domain"] }));
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
  if (!existsSync(dataDir)) throw new CliError(`the data directory ${dataDir} does not exist`);
  let previous: ReadonlyMap<string, TenantName> = new Map();
  try {
    previous = loadDomains(dataDir).map;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    err(`note: ${e.message}; replacing it`);
  }
  const claims: DomainClaim[] = [];
  let failed = 0;
  for (const name of listTenantNames(dataDir)) {
    try {
      const { domain, proven } = readCustomDomain(tenantPath(dataDir, name));
      if (domain && proven) claims.push({ name, domain });
      else if (domain) out(`${name}: ${domain} is pending (its DNS has not proved the claim yet); left out until the author checks it in Settings`);
    } catch (e) {
      failed++;
      err(`${name}: cannot read its settings: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const built = buildDomainMap(claims, previous, { instanceDomain, allowParentDomain });
  for (const c of built.conflicts) err(`${c.domain}: set by ${[c.kept, ...c.refused].join(", ")}; it stays with ${c.kept}, refused for ${c.refused.join(", ")}`);
  for (const i of built.invalid) err(`${i.name}: its custom domain is refused: ${i.reason}`);
  saveDomains(dataDir, built.map);
  for (const [domain, name] of built.map) out(`${domain} → ${name}`);
  const problems = failed + built.conflicts.length + built.invalid.length;
  out(`${built.map.size} custom domain${built.map.size === 1 ? "" : "s"} written to ${domainsFile(dataDir)}${problems ? `; ${problems} problem${problems === 1 ? "" : "s"} reported above` : ""}`);
  return problems ? 1 : 0;
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
      case undefined: throw new CliError(`domains needs a command: rebuild\n\n${usage}`, 2);
      default: throw new CliError(`unknown domains command "${sub}"\n\n${usage}`, 2);
    }
  },
};
