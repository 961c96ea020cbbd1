// Notices changes to blog files made by anyone, including other processes (the CLI importing or
// migrating while the server runs, an author's sqlite3 session). inotify reports writes to
// `<name>.db` and its `-wal` without any work on the request path.
import { watch, type FSWatcher } from "node:fs";
import { isTenantName, tenantsDir, type TenantName } from "./names.ts";

export type ChangeListener = (name: TenantName) => void;

export function blogOfFile(file: string): TenantName | null {
  const m = /^(.+)\.db(-wal|-journal)?$/.exec(file);
  return m && isTenantName(m[1]) ? (m[1] as TenantName) : null;
}

/** Calls `listener` with the blog's name whenever one of its files changes; returns a stop function. */
export function watchTenants(dataDir: string, listener: ChangeListener): () => void {
  let watcher: FSWatcher;
  try {
    watcher = watch(tenantsDir(dataDir), { persistent: false }, (_event, file) => {
      const name = file ? blogOfFile(String(file)) : null;
      if (name) listener(name);
    });
  } catch {
    return () => {};
  }
  watcher.on("error", () => {});
  return () => watcher.close();
}
