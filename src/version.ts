// The version printed by --version and /healthz, taken from package.json at build time.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/**
 * This build of the code, for caches of what it rendered: the version, and the binary's size and
 * time, or when run from source, the newest time among the source files (a page rendered by other
 * code must not be served as this code's).
 */
export function buildId(): string {
  const { statSync, readdirSync } = require("node:fs") as typeof import("node:fs");
  const { dirname, join } = require("node:path") as typeof import("node:path");
  if (Bun.main.startsWith("/$bunfs/")) {
    const st = statSync(process.execPath);
    return `${VERSION}:binary:${st.size}:${st.mtimeMs}`;
  }
  let newest = 0;
  let files = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        files++;
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  walk(dirname(import.meta.path));
  return `${VERSION}:source:${files}:${newest}`;
}
