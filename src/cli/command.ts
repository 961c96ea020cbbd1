// What every CLI command shares: parsing with node:util parseArgs, --help, and errors that go to
// stderr with a non-zero exit code (never a stack trace for a mistake the user can fix).
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseTenantName, TenantNameError, type TenantName } from "../tenants/names.ts";

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** A mistake the user can fix: printed as "writekit: <message>", exit code 2 for usage, 1 otherwise. */
export class CliError extends Error {
  override name = "CliError";
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e), 2);
  }
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
    if (e instanceof TenantNameError) throw new CliError(`invalid blog name: ${e.message}`, 2);
    throw e;
  }
}
