// The only code that turns a blog's name into a path. A name is checked once, here, before
// anything touches the disk; everything downstream trusts a TenantName.
import { readdirSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";

export type TenantName = string & { readonly __tenantName: unique symbol };

export class TenantNameError extends Error {
  override name = "TenantNameError";
}

/** Names a blog may not take: they are sub-domains an instance uses or users expect to be special. */
export const RESERVED_NAMES = new Set([
  "admin",
  "administrator",
  "api",
  "app",
  "assets",
  "auth",
  "blog",
  "cdn",
  "dashboard",
  "data",
  "dev",
  "docs",
  "email",
  "ftp",
  "help",
  "imap",
  "localhost",
  "mail",
  "metrics",
  "mx",
  "ns",
  "ns1",
  "ns2",
  "pop",
  "pop3",
  "root",
  "smtp",
  "static",
  "status",
  "support",
  "system",
  "test",
  "webmail",
  "www",
  "writekit",
  "healthz",
]);

/**
 * Device names on Windows: a file called `con.db` (or `COM1.db`, in any case, with any extension)
 * cannot be created or copied there, so a data directory holding one would not move to Windows.
 * COM0 and LPT0 are listed by Microsoft's naming rules too.
 */
export const WINDOWS_DEVICE_NAMES = new Set([
  "con",
  "prn",
  "aux",
  "nul",
  ...Array.from({ length: 10 }, (_, i) => `com${i}`),
  ...Array.from({ length: 10 }, (_, i) => `lpt${i}`),
]);

const MAX_LENGTH = 63;

/** Returns the name unchanged when it is a valid blog name; otherwise throws saying which rule it breaks. */
export function parseTenantName(input: string): TenantName {
  // The common case first and cheaply: every Host of every request is parsed.
  if (/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(input) && !input.startsWith("xn--") && !RESERVED_NAMES.has(input))
    if (!WINDOWS_DEVICE_NAMES.has(input)) return input as TenantName;
  const shown = JSON.stringify(input.length > 80 ? input.slice(0, 80) + "…" : input);
  if (input.length === 0) throw new TenantNameError("a blog name must not be empty");
  if (input.length > MAX_LENGTH)
    throw new TenantNameError(`${shown} is ${input.length} characters long; a blog name has at most ${MAX_LENGTH}`);
  if (/[A-Z]/.test(input))
    throw new TenantNameError(`${shown} has upper-case letters; use lower-case letters, digits and hyphens`);
  if (input.includes("/") || input.includes("\\") || input.includes(".."))
    throw new TenantNameError(`${shown} looks like a path; a blog name is lower-case letters, digits and hyphens only`);
  if (input.includes("%"))
    throw new TenantNameError(`${shown} contains "%"; a blog name is lower-case letters, digits and hyphens only`);
  if (/[^\x21-\x7e]/.test(input))
    throw new TenantNameError(
      `${shown} contains spaces, control or non-ASCII characters; use lower-case letters, digits and hyphens`,
    );
  if (!/^[a-z0-9-]+$/.test(input))
    throw new TenantNameError(`${shown} contains characters other than lower-case letters, digits and hyphens`);
  if (input.startsWith("-") || input.endsWith("-"))
    throw new TenantNameError(
      `${shown} starts or ends with a hyphen; a blog name must begin and end with a letter or digit`,
    );
  if (input.startsWith("xn--"))
    throw new TenantNameError(`${shown} starts with "xn--", which is reserved for internationalised domain names`);
  if (RESERVED_NAMES.has(input)) throw new TenantNameError(`"${input}" is a reserved name; choose another`);
  if (WINDOWS_DEVICE_NAMES.has(input))
    throw new TenantNameError(
      `"${input}" is a reserved name (a device name on Windows, where its file could not be copied); choose another`,
    );
  return input as TenantName;
}

export function isTenantName(input: string): input is TenantName {
  try {
    parseTenantName(input);
    return true;
  } catch {
    return false;
  }
}

/** Tenants directories of absolute data directories: resolve() is paid once, not on every read of a blog. */
const dirs = new Map<string, string>();

export function tenantsDir(dataDir: string): string {
  if (!isAbsolute(dataDir)) return join(resolve(dataDir), "tenants");
  let dir = dirs.get(dataDir);
  if (dir === undefined) {
    dir = join(resolve(dataDir), "tenants");
    if (dirs.size < 64) dirs.set(dataDir, dir);
  }
  return dir;
}

/** `<dataDir>/tenants/<name>.db`, checked to stay inside the tenants directory. */
export function tenantPath(dataDir: string, name: TenantName): string {
  // Belt and braces: parseTenantName already makes an escape impossible.
  if (!/^[a-z0-9-]+$/.test(name)) throw new TenantNameError(`"${name}" would resolve outside the data directory`);
  return tenantsDir(dataDir) + sep + name + ".db";
}

/** The blog names present in the data directory, sorted, ignoring files that are not blogs. */
export function listTenantNames(dataDir: string): TenantName[] {
  let entries: string[];
  try {
    entries = readdirSync(tenantsDir(dataDir));
  } catch (e: any) {
    if (e?.code === "ENOENT") return [];
    throw e;
  }
  return entries
    .filter((f) => f.endsWith(".db"))
    .map((f) => f.slice(0, -3))
    .filter(isTenantName)
    .sort() as TenantName[];
}
