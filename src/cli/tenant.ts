// `writekit tenant create|list|delete|password`.
//
// Four subcommands of a few dozen lines each; kept together since they share flag parsing and
// output.
import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import {
  checkPasswordStrength,
  hashPassword,
  insertAuthor,
  isValidEmail,
  listAuthors,
  PasswordError,
  setAuthorPassword,
} from "../blog/authors.ts";
import { deleteAuthorSessions } from "../blog/sessions.ts";
import { updateSettings } from "../blog/settings.ts";
import {
  addressOptions,
  blogUrl,
  clusterOptions,
  commonOptions,
  ConfigError,
  describeAddress,
  loadClusterConfig,
} from "../config.ts";
import { DomainError, loadDomains, releaseDomain } from "../tenants/domains.ts";
import { createTenant, deleteTenant, NoSuchTenantError, TenantExistsError } from "../tenants/files.ts";
import { pendingMigrations, schemaVersion } from "../tenants/migrate.ts";
import { listTenantNames, tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { trimWalIndex } from "../tenants/walindex.ts";
import {
  addressArg,
  blogNameArg,
  CliError,
  EXIT_USAGE,
  exitCodesHelp,
  formatBytes,
  out,
  parse,
  readStdinLine,
  usageError,
  type Command,
} from "./command.ts";
import { dataDirArg, existingDataDir } from "./datadir.ts";
import { forgetDeletedBlog } from "./node.ts";

const usage = `Usage:
  writekit tenant create NAME [--title T] [--email E] [--password-stdin] [--domain D] [--port N] [--data DIR]
  writekit tenant list [--json] [--data DIR]
  writekit tenant delete NAME --yes [--data DIR] [--placement FILE --node N [--litestream-config FILE]]
  writekit tenant password NAME [--email E] [--password-stdin] [--domain D] [--port N] [--data DIR]

create    makes DIR/tenants/NAME.db, fully migrated, with its first author (--email, default
          author@NAME.DOMAIN). Makes the data directory when it does not exist yet.
list      shows every blog with its size and schema version.
delete    removes a blog's database and its -wal/-shm files (asks for --yes), and releases
          its custom domain from DATA/domains.json, so a later blog of the same name does not
          inherit it. On a node of a cluster (--placement, --node or their env) it also
          leaves the placement, and this node's Litestream config (--litestream-config) is
          rendered again without it.
password  gives an author a new password and ends all of that author's sessions (signed out
          in every browser); safe while \`writekit serve\` runs. With several authors, --email
          chooses one.

--password-stdin reads the password from the first line of standard input (10 characters or
more); without it a password is generated and printed once.
--domain (env WRITEKIT_DOMAIN) and --port (env PORT) only decide the addresses printed, as
\`writekit serve\` would answer them: http://NAME.localhost:PORT/ on localhost, otherwise
https://NAME.DOMAIN/ (through the TLS proxy in front of the server).

NAME is 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen.

${exitCodesHelp("failed (an existing or missing blog, no data directory, an unreadable file)")}`;

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
      throw new CliError(
        `the custom domain map could not be updated (${e.message}); run \`writekit domains rebuild\` so no other blog named "${name}" inherits its domain`,
      );
    }
    throw e;
  }
}

function nameArg(positionals: string[], sub: string): TenantName {
  if (positionals.length === 0) throw usageError(`tenant ${sub} needs a blog NAME`, "tenant");
  if (positionals.length > 1)
    throw usageError(`tenant ${sub} takes one NAME, got ${positionals.length}: ${positionals.join(" ")}`, "tenant");
  return blogNameArg(positionals[0]);
}

export function generatePassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(15))).toString("base64url");
}

/** The password from standard input (checked), or a generated one to print once. */
export async function choosePassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: generatePassword(), generated: true };
  const password = await readStdinLine();
  try {
    checkPasswordStrength(password);
  } catch (e) {
    if (e instanceof PasswordError)
      throw new CliError(
        `the password on standard input is too ${password.length < 10 ? "short" : "long"}: ${e.message}`,
        EXIT_USAGE,
      );
    throw e;
  }
  return { password, generated: false };
}

function printPassword(password: string, generated: boolean): void {
  if (generated) out(`  Password:    ${password}   (shown once; keep it somewhere safe)`);
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...commonOptions,
      ...addressOptions,
      title: { type: "string" },
      email: { type: "string" },
      "password-stdin": { type: "boolean" },
    },
    "tenant",
  );
  if (values.help) return (out(usage), 0);
  const name = nameArg(positionals, "create");
  const dataDir = dataDirArg(values);
  const address = addressArg(values);
  const email = (values.email ?? `author@${name}.${address.domain}`).trim();
  if (!isValidEmail(email)) throw usageError(`--email "${email}" is not an email address`, "tenant");
  const title = (values.title ?? name).trim();
  if (title.length === 0 || title.length > 200) throw usageError("--title must be 1 to 200 characters", "tenant");
  // Before asking for a password or hashing it; createTenant checks again when it links the file.
  if (existsSync(tenantPath(dataDir, name))) throw new TenantExistsError(name);
  const { password, generated } = await choosePassword(Boolean(values["password-stdin"]));
  const passwordHash = await hashPassword(password);
  const path = createTenant(dataDir, name, (db) => {
    insertAuthor(db, { email, passwordHash });
    updateSettings(db, { title });
  });
  out(`Created blog "${name}" in ${path}`);
  // A blog of this name deleted by hand (not with tenant delete) may have left its domain mapped.
  for (const domain of releaseDomainsOf(dataDir, name))
    out(`  Released ${domain}, which a former blog named "${name}" had claimed`);
  out(`  Read it at   ${blogUrl(address, name)}  (with \`writekit serve\`)`);
  out(`  Write at     ${blogUrl(address, name, "/admin")}  as ${email}`);
  printPassword(password, generated);
  out(`  ${describeAddress(address)}`);
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
  const { values, positionals } = parse(argv, { ...commonOptions, json: { type: "boolean" } }, "tenant");
  if (values.help) return (out(usage), 0);
  if (positionals.length) throw usageError(`tenant list takes no arguments, got: ${positionals.join(" ")}`, "tenant");
  const dataDir = existingDataDir(values);
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
  const { values, positionals } = parse(argv, { ...clusterOptions, yes: { type: "boolean" } }, "tenant");
  if (values.help) return (out(usage), 0);
  const name = nameArg(positionals, "delete");
  const dataDir = existingDataDir(values);
  let cluster;
  try {
    cluster = loadClusterConfig(values);
  } catch (e) {
    if (e instanceof ConfigError) throw usageError(e.message, "tenant");
    throw e;
  }
  if (!values.yes)
    throw usageError(
      `this deletes the blog "${name}" and all its posts for good; run again with --yes to confirm`,
      "tenant",
    );
  deleteTenant(dataDir, name);
  out(`Deleted blog "${name}"`);
  for (const domain of releaseDomainsOf(dataDir, name)) out(`  Released its custom domain ${domain}`);
  // On a node of a cluster: its placement entry and its line in this node's Litestream config go too.
  forgetDeletedBlog(cluster, name);
  return 0;
}

/** Opens a blog to change its authors: it must be a WriteKit blog this binary can write. */
function openForAuthors(path: string, name: TenantName): Database {
  let db: Database | undefined;
  try {
    db = openBlogDatabase(path);
    // A blog from a newer WriteKit (or not a blog at all) is refused before anything is written.
    if (schemaVersion(db) === 0) throw new CliError(`${path} is not a WriteKit blog (it has no schema)`);
    pendingMigrations(db);
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot change the authors of "${name}": ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function password(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...commonOptions, ...addressOptions, email: { type: "string" }, "password-stdin": { type: "boolean" } },
    "tenant",
  );
  if (values.help) return (out(usage), 0);
  const name = nameArg(positionals, "password");
  const address = addressArg(values);
  const dataDir = existingDataDir(values);
  const path = tenantPath(dataDir, name);
  if (!existsSync(path)) throw new NoSuchTenantError(name);
  const db = openForAuthors(path, name);
  try {
    const authors = listAuthors(db);
    const wanted = values.email?.trim().toLowerCase();
    const author =
      wanted === undefined
        ? authors.length === 1
          ? authors[0]
          : undefined
        : authors.find((a) => a.email.toLowerCase() === wanted);
    if (authors.length === 0) throw new CliError(`the blog "${name}" has no author`);
    if (!author && wanted === undefined) {
      throw usageError(
        `the blog "${name}" has ${authors.length} authors (${authors.map((a) => a.email).join(", ")}); choose one with --email`,
        "tenant",
      );
    }
    if (!author)
      throw new CliError(
        `the blog "${name}" has no author with the email "${values.email}"; its authors: ${authors.map((a) => a.email).join(", ")}`,
      );
    const { password, generated } = await choosePassword(Boolean(values["password-stdin"]));
    // Hashing takes a while: before the transaction, so the blog's write lock is held only briefly.
    const passwordHash = await hashPassword(password);
    const ended = db.transaction(() => {
      setAuthorPassword(db, author.id, passwordHash);
      return deleteAuthorSessions(db, author.id);
    })();
    out(
      `New password for ${author.email} on the blog "${name}"; ${ended} session${ended === 1 ? "" : "s"} ended (signed out everywhere)`,
    );
    out(`  Sign in at   ${blogUrl(address, name, "/admin")}`);
    printPassword(password, generated);
    return 0;
  } finally {
    db.close();
    // This process's only connection to the blog is closed (walindex.ts).
    trimWalIndex(path);
  }
}

export const tenantCommand: Command = {
  name: "tenant",
  summary: "create, list and delete blogs; give an author a new password",
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "create":
        return create(rest);
      case "list":
        return list(rest);
      case "delete":
        return remove(rest);
      case "password":
        return password(rest);
      case "--help":
      case "-h":
        return (out(usage), 0);
      case undefined:
        throw usageError("tenant needs a command: create, list, delete or password", "tenant");
      default:
        if (sub.startsWith("-"))
          throw usageError("tenant needs a command first: create, list, delete or password", "tenant");
        throw usageError(`unknown tenant command "${sub}"; use create, list, delete or password`, "tenant");
    }
  },
};
