// The engines a cluster runs on, found on this machine: Caddy from Debian (`.ci/run` installs it),
// Litestream 0.3 from npm (@flydotio/litestream, a devDependency). The platform package's binary is
// run directly: the package's `litestream` script runs it as a child that a signal would not reach.
import { existsSync } from "node:fs";
import { join } from "node:path";

const REPO = join(import.meta.dir, "..", "..");

export const CADDY = Bun.which("caddy");
export const LITESTREAM = join(
  REPO,
  "node_modules",
  "@flydotio",
  `litestream-${process.platform}-${process.arch}`,
  "litestream",
);

export const missingEngines = [
  CADDY ? null : "caddy (apt-get install -y caddy)",
  existsSync(LITESTREAM) ? null : `litestream (npm install brings @flydotio/litestream; ${LITESTREAM} is missing)`,
].filter((m) => m !== null);
export const hasEngines = missingEngines.length === 0;
