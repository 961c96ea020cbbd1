// The Worker that runs snapshot jobs (export, backup, check, import, restore) off the caller's thread; see
// runSnapshotJob in snapshot.ts. Like main.ts it is an entry point, so it may compose tenants/
// with the blog/ functions that know which rows are secrets.
//
// Long because it is one entry point with one branch per job kind, each a few dozen lines.
import type { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { verifyMedia } from "../blog/media.ts";
import { rebuildBlog, type RebuildOptions } from "../blog/rebuild.ts";
import { clearFence } from "../blog/fence.ts";
import { countPosts, removeSecrets, removeSessions, setImportedAuthorPassword } from "../blog/transfer.ts";
import { isoTime } from "../blog/time.ts";
import { VERSION } from "../version.ts";
import { removeDatabaseFiles, TenantBusyError, TenantExistsError, writeFileAtomically } from "./files.ts";
import { loadDomains, parseDomain } from "./domains.ts";
import {
  assertIsBlog,
  migrate,
  MigrationError,
  MIGRATIONS,
  NotABlogError,
  SCHEMA_VERSION,
  SchemaTooNewError,
  schemaVersion,
} from "./migrate.ts";
import { listTenantNames, parseTenantName, tenantPath, tenantsDir, TenantNameError, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";
import { dropReplicationTables } from "./replication.ts";
import { restoreBlogs } from "./restore.ts";
import { expectedSchema, schemaDifferences } from "./schema.ts";
import {
  checkDatabase,
  fileSize,
  openForReading,
  placeFile,
  sha256File,
  snapshotDatabase,
  SnapshotError,
  type BackupProgress,
  type BackupResult,
  type CheckResult,
  type ImportResult,
  type SnapshotEntry,
  type SnapshotJob,
  type WorkerMessage,
} from "./snapshot.ts";

const port = self as unknown as {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent<SnapshotJob>) => void) | null;
};

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function assertBlogFile(db: Database, path: string): void {
  try {
    assertIsBlog(db);
  } catch (e) {
    if (e instanceof NotABlogError) throw new SnapshotError(`${path} is not a WriteKit blog: ${e.message}`);
    throw e;
  }
}

/** What a backup's manifest says it is: `format` 1 keeps password hashes (older backups have none). */
export const BACKUP_FORMAT = 1;

/** Only the owner may read a backup: it holds the authors' password hashes. */
const BACKUP_FILE_MODE = 0o600;
const BACKUP_DIR_MODE = 0o700;

/**
 * A copy of one blog at `file` (which must not exist). An author's export leaves out every secret
 * (sessions, password hashes); an operator's backup keeps the hashes, and is readable by its owner only.
 */
export function exportBlog(
  dataDir: string,
  name: TenantName,
  file: string,
  purpose: "export" | "backup" = "export",
): SnapshotEntry {
  const path = tenantPath(dataDir, name);
  if (!existsSync(path)) throw new SnapshotError(`there is no blog named "${name}" in ${dataDir}`);
  if (!existsSync(dirname(file))) throw new SnapshotError(`the folder ${dirname(file)} does not exist`);
  const source = openForReading(path);
  try {
    assertBlogFile(source, path);
    const time = isoTime(new Date());
    const summary = snapshotDatabase(
      source,
      file,
      (copy) => {
        if (purpose === "backup") removeSessions(copy);
        else removeSecrets(copy);
        // A replicated blog carries Litestream's tables and perhaps a move's fence: not the blog's.
        dropReplicationTables(copy);
        clearFence(copy);
        return { schemaVersion: schemaVersion(copy), posts: countPosts(copy) };
      },
      { mode: purpose === "backup" ? BACKUP_FILE_MODE : undefined },
    );
    return { name, file, bytes: fileSize(file), sha256: sha256File(file), ...summary, time };
  } finally {
    source.close();
  }
}

/** Every blog into `dir` (new or empty), then manifest.json; a blog that fails does not stop the rest. */
export function backupBlogs(dataDir: string, dir: string, report: (progress: BackupProgress) => void): BackupResult {
  try {
    mkdirSync(dir, { recursive: true, mode: BACKUP_DIR_MODE });
  } catch (e) {
    throw new SnapshotError(`cannot create the backup folder ${dir}: ${reason(e)}`);
  }
  if (!statSync(dir).isDirectory()) throw new SnapshotError(`${dir} is not a folder`);
  if (readdirSync(dir).length > 0) throw new SnapshotError(`${dir} is not empty; back up into a new or empty folder`);
  // Also when the folder existed (empty): nobody else may list or read what goes in it.
  chmodSync(dir, BACKUP_DIR_MODE);
  const createdAt = isoTime(new Date());
  const blogs: SnapshotEntry[] = [];
  const failed: { name: string; error: string }[] = [];
  for (const name of listTenantNames(dataDir)) {
    const file = join(dir, `${name}.db`);
    try {
      // The manifest names files relative to itself, so the folder can be moved as a whole.
      const entry = { ...exportBlog(dataDir, name, file, "backup"), file: `${name}.db` };
      blogs.push(entry);
      report({ name, entry });
    } catch (e) {
      removeDatabaseFiles(file);
      failed.push({ name, error: reason(e) });
      report({ name, error: reason(e) });
    }
  }
  const manifest = join(dir, "manifest.json");
  const content = {
    format: BACKUP_FORMAT,
    writekit: VERSION,
    createdAt,
    secrets: "password hashes kept, sessions left out",
    blogs,
    failed,
  };
  writeFileAtomically(manifest, JSON.stringify(content, null, 2) + "\n", { mode: BACKUP_FILE_MODE });
  return { dir, manifest, blogs, failed };
}

/** PRAGMA quick_check of each blog; a blog that cannot be opened or is not a blog is a problem too. */
export function checkBlogs(dataDir: string, names: TenantName[], report: (result: CheckResult) => void): CheckResult[] {
  return names.map((name) => {
    const path = tenantPath(dataDir, name);
    let problems: string[];
    let images = 0;
    if (!existsSync(path)) {
      problems = [`there is no blog named "${name}"`];
    } else {
      let db: Database | undefined;
      try {
        db = openForReading(path);
        assertBlogFile(db, path);
        problems = checkDatabase(db, "quick_check");
        // Hashing the images reads every blob: only worth it (and only safe) on pages that hold together.
        if (problems.length === 0) ({ images, problems } = verifyMedia(db));
      } catch (e) {
        problems = [reason(e)];
      } finally {
        db?.close();
      }
    }
    const result = { name, problems, images };
    report(result);
    return result;
  });
}

/** Why a file given to import cannot be read, in words. */
function unreadable(file: string, e: unknown): SnapshotError {
  const code = (e as { code?: unknown })?.code;
  if (code === "SQLITE_NOTADB") return new SnapshotError(`${file} is not an SQLite database`);
  if (code === "SQLITE_CORRUPT") return new SnapshotError(`${file} is damaged (${reason(e)}); nothing was imported`);
  return new SnapshotError(`${file} cannot be read: ${reason(e)}`);
}

/**
 * Opens a file given to import: read-only, refusing any write (query_only), and, like every blog,
 * with trusted_schema=OFF (open.ts). Nothing of its schema is used before it is compared with
 * WriteKit's own (importableVersion).
 */
function openImportSource(file: string): Database {
  let source: Database | undefined;
  try {
    source = openBlogDatabase(file, { readonly: true });
    source.run("PRAGMA query_only = 1");
    return source;
  } catch (e) {
    source?.close();
    throw unreadable(file, e);
  }
}

/**
 * The schema version of a file given to import, once it is known to be a WriteKit blog whose
 * schema is exactly what the migrations create for that version (no trigger, view, table or index
 * of anyone else's) and whose pages are sound. Reading sqlite_schema runs nothing, so this is
 * checked first; the integrity check then walks a schema known to be WriteKit's.
 */
function importableVersion(source: Database, file: string): number {
  try {
    assertBlogFile(source, file);
    const version = schemaVersion(source);
    if (version === 0) throw new SnapshotError(`${file} is an empty database, not a WriteKit blog`);
    if (version > SCHEMA_VERSION)
      throw new SnapshotError(
        `${file} was written by a newer WriteKit: ${new SchemaTooNewError(version, SCHEMA_VERSION).message}`,
      );
    if (!MIGRATIONS.some((m) => m.version === version))
      throw new SnapshotError(
        `${file} has schema version ${version}, which no WriteKit migration makes; it is not a WriteKit blog`,
      );
    const { extra, drops, changed } = schemaDifferences(source, version);
    if (extra.length || changed.length) {
      const parts: string[] = [];
      if (extra.length)
        parts.push(
          `it has ${extra.length === 1 ? "an object" : `${extra.length} objects`} that WriteKit's migrations do not create (${extra.join("; ")})`,
        );
      if (changed.length) parts.push(`its schema differs from WriteKit's: ${changed.join("; ")}`);
      const fix =
        changed.length || drops.length === 0
          ? " Export the blog again from the WriteKit it came from; a file whose schema was changed by hand cannot be imported."
          : ` If you added them yourself, remove them with sqlite3 (${drops.join(" ")}) and import again.`;
      throw new SnapshotError(`${file} is not imported: ${parts.join("; and ")}. Nothing in it was run.${fix}`);
    }
    const problems = checkDatabase(source, "integrity_check");
    if (problems.length)
      throw new SnapshotError(
        `${file} is damaged (integrity check: ${problems.slice(0, 3).join("; ")}); nothing was imported`,
      );
    return version;
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw unreadable(file, e);
  }
}

/** Keeps an imported custom domain only when it is well formed and no other blog here has it. */
function domainCheck(
  dataDir: string,
  name: TenantName,
  instanceDomain: string | undefined,
): RebuildOptions["checkDomain"] {
  return (value) => {
    let domain: string;
    try {
      // Kept only as a claim: the imported blog must prove it again here before it goes live, and
      // the parent-domain rule is applied then, by the server that knows whether it is allowed.
      domain = parseDomain(value, { instanceDomain, allowParentDomain: true });
    } catch (e) {
      return { reason: reason(e) };
    }
    let owner: TenantName | undefined;
    try {
      owner = loadDomains(dataDir, { instanceDomain, allowParentDomain: true }).map.get(domain);
    } catch (e) {
      return { reason: `the custom domain map could not be read to check it (${reason(e)})` };
    }
    if (owner !== undefined && owner !== name) return { reason: `it belongs to the blog "${owner}" on this server` };
    return { domain };
  };
}

/**
 * Makes the blog `name` from an exported file. The file is only read: once its schema is known to
 * be WriteKit's, a new file is made by the migrations and the file's rows are copied into it,
 * checked one by one (blog/rebuild.ts); then the new file is linked into place, so the blog appears
 * complete or not at all and never replaces another.
 */
export function importBlog(job: Extract<SnapshotJob, { kind: "import" }>): ImportResult {
  const name = parseTenantName(job.name);
  const path = tenantPath(job.dataDir, name);
  if (existsSync(path)) throw new TenantExistsError(name);
  const file = resolve(job.file);
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new SnapshotError(`${file} does not exist`);
  }
  if (!stat.isFile()) throw new SnapshotError(`${file} is not a file`);
  const source = openImportSource(file);
  try {
    const fromVersion = importableVersion(source, file);
    mkdirSync(tenantsDir(job.dataDir), { recursive: true });
    const temp = join(tenantsDir(job.dataDir), `.${name}.${process.pid}.${Date.now()}.importing`);
    try {
      const db = openBlogDatabase(temp, { create: true });
      let result: ImportResult;
      try {
        const migrated = migrate(db);
        result = db.transaction(() => {
          const rebuilt = rebuildBlog(source, db, {
            columns: expectedSchema(fromVersion).columns,
            version: fromVersion,
            checkDomain: domainCheck(job.dataDir, name, job.instanceDomain),
            now: new Date(),
          });
          const author = setImportedAuthorPassword(db, job.passwordHash, job.fallbackEmail);
          return {
            name,
            path,
            email: author.email,
            otherAuthors: author.others,
            createdAuthor: author.created,
            fromVersion,
            toVersion: migrated.to,
            posts: rebuilt.posts,
            images: rebuilt.images,
            notes: rebuilt.notes,
            moreNotes: rebuilt.moreNotes,
          };
        })();
      } finally {
        // Closing the only handle checkpoints the WAL, so the one file is complete before the link.
        db.close();
      }
      placeFile(temp, path, () => new TenantExistsError(name));
      return result;
    } finally {
      removeDatabaseFiles(temp);
    }
  } finally {
    source.close();
  }
}

function run(job: SnapshotJob): unknown {
  const progress = (p: unknown) => post({ type: "progress", progress: p });
  switch (job.kind) {
    case "export":
      return exportBlog(job.dataDir, parseTenantName(job.name), job.file);
    case "backup":
      return backupBlogs(job.dataDir, job.dir, progress);
    case "check":
      return checkBlogs(job.dataDir, job.names.map(parseTenantName), progress);
    case "import":
      return importBlog(job);
    case "restore":
      return restoreBlogs(job, progress);
  }
}

/** Failures a person can act on (a bad name, a file that is not a blog, a full disk) versus bugs. */
function isExpected(e: unknown): boolean {
  if (
    e instanceof SnapshotError ||
    e instanceof TenantNameError ||
    e instanceof TenantExistsError ||
    e instanceof TenantBusyError
  )
    return true;
  if (e instanceof NotABlogError || e instanceof SchemaTooNewError || e instanceof MigrationError) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_") || /^E[A-Z]+$/.test(code));
}

port.onmessage = (event) => {
  try {
    post({ type: "done", result: run(event.data) });
  } catch (e) {
    if (isExpected(e)) post({ type: "failed", message: reason(e) });
    else post({ type: "crashed", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
};
