// What every CLI command shares: parsing with node:util parseArgs, --help, and errors that go to
// stderr as one line with a documented exit code (never a stack trace for a mistake the user can fix).
import { parseArgs, type ParseArgsConfig } from "node:util";
import { PasswordError } from "../blog/authors.ts";
import { ConfigError, loadAddress, type Address } from "../config.ts";
import { DomainError } from "../tenants/domains.ts";
import { NoSuchTenantError, TenantBusyError, TenantExistsError } from "../tenants/files.ts";
import { MigrationError, NotABlogError, SchemaTooNewError } from "../tenants/migrate.ts";
import { parseTenantName, TenantNameError, type TenantName } from "../tenants/names.ts";
import { SnapshotError } from "../tenants/snapshot.ts";

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** The exit codes of every command. */
export const EXIT_OK = 0;
/** The command could not do what it was asked (or did it for some blogs and not others). */
export const EXIT_FAILED = 1;
/** A mistake on the command line: an unknown flag, a missing or malformed argument. */
export const EXIT_USAGE = 2;

/** The "Exit codes" paragraph of a command's --help; `failed` says what 1 means for it. */
export function exitCodesHelp(failed: string): string {
  const text = `Exit codes: 0 done; 1 ${failed}; 2 a mistake on the command line (an unknown flag, a missing or malformed argument). Errors are one line on stderr.`;
  // Wrapped at 96 columns, as the rest of every usage text is.
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > 96) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join("\n");
}

/** A mistake the user can fix: printed as "writekit: <message>", exit code 2 for usage, 1 otherwise. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILED,
  ) {
    super(message);
  }
}

/** A command-line mistake, pointing at the command's --help. */
export function usageError(message: string, command?: string): CliError {
  return new CliError(`${message} (see: writekit ${command ? `${command} ` : ""}--help)`, EXIT_USAGE);
}

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  command?: string,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw usageError(
      e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e),
      command,
    );
  }
}

/**
 * The one line and exit code for an error a person can act on: a CliError, or a typed error of
 * the domain (a bad name, an existing blog, a file that is not a blog), or a file system or SQLite
 * error (permission denied, disk full, busy). Null for anything else, which is a bug.
 */
export function explainError(e: unknown): { message: string; exitCode: number } | null {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  if (e instanceof ConfigError) return { message: e.message, exitCode: EXIT_USAGE };
  if (e instanceof TenantNameError) return { message: `invalid blog name: ${e.message}`, exitCode: EXIT_USAGE };
  if (e instanceof PasswordError) return { message: e.message, exitCode: EXIT_USAGE };
  if (
    e instanceof TenantExistsError ||
    e instanceof NoSuchTenantError ||
    e instanceof TenantBusyError ||
    e instanceof SnapshotError ||
    e instanceof DomainError ||
    e instanceof NotABlogError ||
    e instanceof SchemaTooNewError ||
    e instanceof MigrationError
  )
    return { message: e.message, exitCode: EXIT_FAILED };
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && typeof code === "string" && (code.startsWith("SQLITE_") || /^E[A-Z]+$/.test(code))) {
    const message = e.message.includes(code) ? e.message : `${e.message} (${code})`;
    return { message: message.replace(/\s*\n\s*/g, " "), exitCode: EXIT_FAILED };
  }
  return null;
}

export const out = (text: string) => process.stdout.write(text + "\n");
export const err = (text: string) => process.stderr.write(text + "\n");

/** Reads the first line of standard input (for --password-stdin). */
export async function readStdinLine(): Promise<string> {
  const text = await Bun.stdin.text();
  return text.split(/\r?\n/)[0];
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A blog name given on the command line; a bad one is a usage error saying which rule it breaks. */
export function blogNameArg(input: string): TenantName {
  try {
    return parseTenantName(input);
  } catch (e) {
    if (e instanceof TenantNameError) throw new CliError(`invalid blog name: ${e.message}`, EXIT_USAGE);
    throw e;
  }
}

/** --domain / --port (or WRITEKIT_DOMAIN / PORT) for the addresses a command prints. */
export function addressArg(values: { domain?: string; port?: string }): Address {
  try {
    return loadAddress(values);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT_USAGE);
    throw e;
  }
}
