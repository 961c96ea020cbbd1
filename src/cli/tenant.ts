// `writekit tenant create|list|delete`.
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { checkPasswordStrength, hashPassword, insertAuthor, isValidEmail, PasswordError } from "../blog/authors.ts";
import { updateSettings } from "../blog/settings.ts";
import { dataDirFrom, commonOptions } from "../config.ts";
import { DomainError, loadDomains, releaseDomain } from "../tenants/domains.ts";
import { createTenant, deleteTenant } from "../tenants/files.ts";
import { schemaVersion } from "../tenants/migrate.ts";
import { listTenantNames, parseTenantName, tenantPath, TenantNameError, type TenantName } from "../tenants/names.ts";
import { CliError, formatBytes, out, parse, readStdinLine, type Command } from "./command.ts";

const usage = `Usage:
  writekit tenant create NAME [--title T] [--email E] [--password-stdin] [--data DIR]
  writekit tenant list [--json] [--data DIR]
  writekit tenant delete NAME --yes [--data DIR]

create   makes data/tenants/NAME.db, fully migrated, with its first author. Without
         --password-stdin a password is generated and printed once.
list     shows every blog with its size and schema version.
delete   removes a blog's database and its -wal/-shm files (asks for --yes), and releases its
         custom domain from DATA/domains.json, so a later blog of the same name does not
         inherit it.

NAME is 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen.`;

/**
 * Takes the blog's custom domains out of DATA/domains.json (a running server reloads it). The file
 * is read without the server's rules, so entries it would skip are kept as they are. Returns the
 * domains released; throws CliError when the file cannot be read or written.
 */
function releaseDomainsOf(dataDir: string, name: TenantName): string[] {
  try {
    return releaseDomain(dataDir, loadDomains(dataDir).map, name);
  } catch (e) {
    if (e instanceof DomainError || (e instanceof Error && "code" in e)) {
      throw new CliError(`the custom domain map could not be updated (${e.message}); run \`writekit domains rebuild\` so no other blog named "${name}" inherits its domain`);
    }
    throw e;
  }
}

function nameArg(positionals: string[], sub: string): TenantName {
  if (positionals.length === 0) throw new CliError(`tenant ${sub} needs a blog NAME\n\n${usage}`, 2);
  if (positionals.length > 1) throw new CliError(`tenant ${sub} takes one NAME, got ${positionals.length}: ${positionals.join(" ")}`, 2);
  try {
    return parseTenantName(positionals[0]);
  } catch (e) {
    if (e instanceof TenantNameError) throw new CliError(`invalid blog name: ${e.message}`, 2);
    throw e;
  }
}

export function generatePassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(15))).toString("base64url");
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...commonOptions,
    title: { type: "string" },
    email: { type: "string" },
    "password-stdin": { type: "boolean" },
  });
  if (values.help) return out(usage), 0;
  const name = nameArg(positionals, "create");
  const dataDir = dataDirFrom(values);
  const email = (values.email ?? `author@${name}.localhost`).trim();
  if (!isValidEmail(email)) throw new CliError(`--email "${email}" is not an email address`, 2);
  const title = (values.title ?? name).trim();
  if (title.length === 0 || title.length > 200) throw new CliError("--title must be 1 to 200 characters", 2);
  let password: string;
  let generated = false;
  if (values["password-stdin"]) {
    password = await readStdinLine();
    try {
      checkPasswordStrength(password);
    } catch (e) {
      if (e instanceof PasswordError) throw new CliError(e.message, 2);
      throw e;
    }
  } else {
    password = generatePassword();
    generated = true;
  }
  const passwordHash = await hashPassword(password);
  const path = createTenant(dataDir, name, (db) => {
    insertAuthor(db, { email, passwordHash });
    updateSettings(db, { title });
  });
  out(`Created blog "${name}" in ${path}`);
  // A blog of this name deleted by hand (not with tenant delete) may have left its domain mapped.
  for (const domain of releaseDomainsOf(dataDir, name)) out(`  Released ${domain}, which a former blog named "${name}" had claimed`);
  out(`  Read it at   http://${name}.localhost:3000/  (with \`writekit serve\`)`);
  out(`  Write at     http://${name}.localhost:3000/admin  as ${email}`);
  if (generated) out(`  Password:    ${password}   (shown once; keep it somewhere safe)`);
  return 0;
}

interface Row {
  name: string;
  bytes: number;
  schema: number | null;
  error?: string;
}

function describe(dataDir: string, name: TenantName): Row {
  const path = tenantPath(dataDir, name);
  let bytes = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      bytes += statSync(path + suffix).size;
    } catch {}
  }
  try {
    const db = new Database(path, { readonly: true });
    try {
      return { name, bytes, schema: schemaVersion(db) };
    } finally {
      db.close();
    }
  } catch (e) {
    return { name, bytes, schema: null, error: e instanceof Error ? e.message : String(e) };
  }
}

async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...commonOptions, json: { type: "boolean" } });
  if (values.help) return out(usage), 0;
  if (positionals.length) throw new CliError(`tenant list takes no arguments, got: ${positionals.join(" ")}`, 2);
  const dataDir = dataDirFrom(values);
  const rows = listTenantNames(dataDir).map((n) => describe(dataDir, n));
  if (values.json) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out(`No blogs in ${dataDir}. Create one with: writekit tenant create NAME --email you@example.com`);
    return 0;
  }
  const width = Math.max(4, ...rows.map((r) => r.name.length));
  out(`${"NAME".padEnd(width)}  ${"SIZE".padStart(10)}  SCHEMA`);
  for (const r of rows) {
    out(`${r.name.padEnd(width)}  ${formatBytes(r.bytes).padStart(10)}  ${r.schema ?? `unreadable: ${r.error}`}`);
  }
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...commonOptions, yes: { type: "boolean" } });
  if (values.help) return out(usage), 0;
  const name = nameArg(positionals, "delete");
  const dataDir = dataDirFrom(values);
  if (!values.yes) throw new CliError(`this deletes the blog "${name}" and all its posts for good; run again with --yes to confirm`, 2);
  try {
    deleteTenant(dataDir, name);
  } catch (e) {
    if (e instanceof Error && e.name === "NoSuchTenantError") throw new CliError(e.message);
    throw e;
  }
  out(`Deleted blog "${name}"`);
  for (const domain of releaseDomainsOf(dataDir, name)) out(`  Released its custom domain ${domain}`);
  return 0;
}

export const tenantCommand: Command = {
  name: "tenant",
  summary: "create, list and delete blogs",
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "create": return create(rest);
      case "list": return list(rest);
      case "delete": return remove(rest);
      case "--help": case "-h": return out(usage), 0;
      case undefined: throw new CliError(`tenant needs a command: create, list or delete\n\n${usage}`, 2);
      default:
        if (sub.startsWith("-")) throw new CliError(`tenant needs a command: create, list or delete\n\n${usage}`, 2);
        throw new CliError(`unknown tenant command "${sub}"\n\n${usage}`, 2);
    }
  },
};
