// Bringing blogs back from a folder written by `writekit backup`. Nothing in the folder is trusted
// until checked: manifest.json names each blog and its file (only ever `<name>.db` beside it), and
// each file is copied into the data directory while its sha256 is computed, then the copy (never
// the backup itself) must match the manifest, pass integrity_check and be a WriteKit blog of a
// schema this binary can run; an older schema is migrated forward. Only then does it become the
// blog, by a link (a new blog) or a rename over the old one (replaceTenantFile).
import type { Database } from "bun:sqlite";
import {
  chownSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { authorsWithoutPassword, countPosts } from "../blog/transfer.ts";
import { REPLACED_FILE_GRACE_MS, removeDatabaseFiles, replaceTenantFile, TenantExistsError } from "./files.ts";
import { assertIsBlog, migrate, NotABlogError, SCHEMA_VERSION, schemaVersion } from "./migrate.ts";
import { isTenantName, tenantPath, tenantsDir, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";
import { checkDatabase, placeFile, SnapshotError } from "./snapshot.ts";

/** The manifest formats this binary reads: 0 (no `format`: backups without password hashes) and 1. */
const NEWEST_FORMAT = 1;
/** A manifest of 10,000 blogs is ~3 MB; anything far larger is not one. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** One blog as the manifest lists it, checked. */
export interface ManifestEntry {
  name: TenantName;
  /** Always `<name>.db`, in the backup folder. */
  file: string;
  bytes: number;
  sha256: string;
  schemaVersion: number;
}

export interface Manifest {
  format: number;
  createdAt: string;
  blogs: ManifestEntry[];
  /** Blogs that could not be copied when the backup was made. */
  failed: { name: string; error: string }[];
}

/** Reads and checks DIR/manifest.json; any entry that is not as `writekit backup` writes it refuses the whole file. */
export function readManifest(dir: string): Manifest {
  const file = join(dir, "manifest.json");
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw new SnapshotError(`there is no backup folder at ${dir}`);
  if (!stat.isDirectory())
    throw new SnapshotError(`${dir} is not a folder; give the folder \`writekit backup -o\` wrote`);
  const size = lstatSync(file, { throwIfNoEntry: false });
  if (!size) throw new SnapshotError(`${dir} has no manifest.json; is it a folder written by \`writekit backup\`?`);
  if (!size.isFile()) throw new SnapshotError(`${file} is not a plain file`);
  if (size.size > MAX_MANIFEST_BYTES)
    throw new SnapshotError(`${file} is ${size.size} bytes, too big to be a backup manifest`);
  let data: any;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new SnapshotError(`${file} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const bad = (what: string) => new SnapshotError(`${file}: ${what}; nothing was restored`);
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw bad("it is not a backup manifest (not a JSON object)");
  const format = data.format ?? 0;
  if (!Number.isInteger(format) || format < 0)
    throw bad(`"format" is ${JSON.stringify(data.format)}, not a format number`);
  if (format > NEWEST_FORMAT)
    throw bad(
      `it is format ${format}, written by a newer WriteKit (this one reads up to ${NEWEST_FORMAT}); restore with that version`,
    );
  if (!Array.isArray(data.blogs)) throw bad(`it has no "blogs" list`);
  const seen = new Set<string>();
  const blogs = data.blogs.map((b: any, i: number): ManifestEntry => {
    const where = `blog ${i + 1}`;
    if (typeof b !== "object" || b === null) throw bad(`${where} is not an object`);
    const shown = JSON.stringify(typeof b.name === "string" && b.name.length > 80 ? b.name.slice(0, 80) + "…" : b.name);
    if (typeof b.name !== "string" || !isTenantName(b.name))
      throw bad(`${where} has the name ${shown}, which is not a blog name`);
    const name = b.name as TenantName;
    // The only file a manifest may name: anything else (a path, a link elsewhere) is refused.
    if (b.file !== `${name}.db`)
      throw bad(
        `the blog "${name}" names the file ${JSON.stringify(b.file)}; a backup's files are NAME.db beside the manifest`,
      );
    if (typeof b.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(b.sha256))
      throw bad(`the blog "${name}" has no valid sha256`);
    if (!Number.isSafeInteger(b.bytes) || b.bytes < 0) throw bad(`the blog "${name}" has no valid size in bytes`);
    if (!Number.isSafeInteger(b.schemaVersion) || b.schemaVersion < 1)
      throw bad(`the blog "${name}" has no valid schema version`);
    if (seen.has(name)) throw bad(`the blog "${name}" is listed twice`);
    seen.add(name);
    return { name, file: b.file, bytes: b.bytes, sha256: b.sha256, schemaVersion: b.schemaVersion };
  });
  const failed = Array.isArray(data.failed)
    ? data.failed
        .filter((f: any) => typeof f?.name === "string")
        .map((f: any) => ({ name: f.name, error: String(f.error ?? "") }))
    : [];
  return { format, createdAt: typeof data.createdAt === "string" ? data.createdAt : "", blogs, failed };
}

/** The entries to restore: every blog, or the named ones, each of which must be in the backup. */
export function selectBlogs(manifest: Manifest, names: TenantName[]): ManifestEntry[] {
  if (names.length === 0) return manifest.blogs;
  return names.map((name) => {
    const entry = manifest.blogs.find((b) => b.name === name);
    if (entry) return entry;
    const failed = manifest.failed.find((f) => f.name === name);
    if (failed)
      throw new SnapshotError(
        `"${name}" could not be copied when this backup was made (${failed.error}), so it is not in it`,
      );
    const listed = manifest.blogs.map((b) => b.name);
    throw new SnapshotError(
      `"${name}" is not in this backup; it has ${listed.length ? `${listed.slice(0, 10).join(", ")}${listed.length > 10 ? `, … (${listed.length})` : ""}` : "no blogs"}`,
    );
  });
}

export interface RestoredBlog {
  name: TenantName;
  /** An existing blog was replaced (--force). */
  replaced: boolean;
  fromVersion: number;
  toVersion: number;
  posts: number;
  /** Authors without a password hash (a backup made before backups kept them). */
  withoutPassword: string[];
}

export type RestoreProgress =
  { name: string; restored: RestoredBlog } | { name: string; error: string } | { waitMs: number };

export interface RestoreResult {
  restored: RestoredBlog[];
  failed: { name: string; error: string }[];
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Copies `source` to the new file `dest` (mode 0600, synced) and returns the copy's sha256. */
function copyHashing(source: string, dest: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  // O_NOFOLLOW: a link put in place of the file after it was looked at is refused, not followed.
  const input = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const output = openSync(dest, "wx", 0o600);
    try {
      const buffer = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(input, buffer, 0, buffer.length, null);
        if (n === 0) break;
        hasher.update(buffer.subarray(0, n));
        for (let written = 0; written < n;) written += writeSync(output, buffer, written, n - written);
      }
      fsyncSync(output);
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
  return hasher.digest("hex");
}

/** Checks the copy `temp` of a backed-up blog and brings its schema up to date; throws SnapshotError saying what is wrong. */
function prepareCopy(temp: string, label: string): Omit<RestoredBlog, "name" | "replaced"> {
  let db: Database | undefined;
  let fromVersion: number;
  try {
    db = openBlogDatabase(temp, { readonly: true });
    const problems = checkDatabase(db, "integrity_check");
    if (problems.length)
      throw new SnapshotError(`${label} is damaged (integrity check: ${problems.slice(0, 3).join("; ")})`);
    assertIsBlog(db);
    fromVersion = schemaVersion(db);
    if (fromVersion === 0) throw new SnapshotError(`${label} is an empty database, not a WriteKit blog`);
    if (fromVersion > SCHEMA_VERSION)
      throw new SnapshotError(
        `${label} has schema version ${fromVersion}, newer than this WriteKit supports (${SCHEMA_VERSION}); restore it with the WriteKit that made it`,
      );
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    if (e instanceof NotABlogError) throw new SnapshotError(`${label} is not a WriteKit blog: ${e.message}`);
    const code = (e as { code?: unknown })?.code;
    if (code === "SQLITE_NOTADB") throw new SnapshotError(`${label} is not an SQLite database`);
    if (typeof code === "string" && code.startsWith("SQLITE_CORRUPT"))
      throw new SnapshotError(`${label} is damaged (${reason(e)})`);
    throw new SnapshotError(`${label} cannot be read as a blog: ${reason(e)}`);
  } finally {
    db?.close();
  }
  // Read-write now: the blog's own journal mode (WAL) and any migrations it is behind.
  db = openBlogDatabase(temp);
  try {
    const { to } = migrate(db);
    return { fromVersion, toVersion: to, posts: countPosts(db), withoutPassword: authorsWithoutPassword(db) };
  } finally {
    // Closing the only handle checkpoints the WAL, so the one file is complete before it is placed.
    db.close();
  }
}

/** Whoever owns the tenants folder owns the blogs: a restore run as root must leave files the server's user can open. */
function chownLikeFolder(file: string, folder: string): void {
  if (process.getuid?.() !== 0) return;
  const owner = statSync(folder);
  if (owner.uid !== 0 || owner.gid !== 0) chownSync(file, owner.uid, owner.gid);
}

/**
 * Restores the given entries of the backup in `dir` into `dataDir`, each on its own: one that fails
 * a check is reported and the others go on. An existing blog is replaced only with `force`.
 */
export function restoreBlogs(
  job: { dataDir: string; dir: string; names: string[]; force: boolean },
  report: (progress: RestoreProgress) => void,
): RestoreResult {
  const manifest = readManifest(job.dir);
  const entries = selectBlogs(
    manifest,
    job.names.map((n) => {
      if (!isTenantName(n)) throw new SnapshotError(`"${n}" is not a blog name`);
      return n;
    }),
  );
  const tenants = tenantsDir(job.dataDir);
  mkdirSync(tenants, { recursive: true });
  const result: RestoreResult = { restored: [], failed: [] };
  const holds: { release: () => void; until: number }[] = [];
  const releaseDue = (all: boolean) => {
    while (holds.length && (all || holds[0].until <= performance.now() || holds.length > 200)) {
      const wait = holds[0].until - performance.now();
      if (wait > 0) Bun.sleepSync(wait);
      holds.shift()!.release();
    }
  };
  for (const entry of entries) {
    const source = join(job.dir, entry.file);
    const label = `the backup's ${entry.file}`;
    const temp = join(tenants, `.${entry.name}.${process.pid}.${Date.now()}.restoring`);
    try {
      const stat = lstatSync(source, { throwIfNoEntry: false });
      if (!stat) throw new SnapshotError(`${label} is missing`);
      if (stat.isSymbolicLink()) throw new SnapshotError(`${label} is a symbolic link; a backup holds plain files`);
      if (!stat.isFile()) throw new SnapshotError(`${label} is not a file`);
      if (stat.size !== entry.bytes)
        throw new SnapshotError(
          `${label} is ${stat.size} bytes, the manifest says ${entry.bytes}: cut short or replaced`,
        );
      if (copyHashing(source, temp) !== entry.sha256)
        throw new SnapshotError(`${label} does not match the manifest's sha256: the file was changed or damaged`);
      const prepared = prepareCopy(temp, label);
      chownLikeFolder(temp, tenants);
      const path = tenantPath(job.dataDir, entry.name);
      let replaced = false;
      try {
        // Files of a blog deleted by hand can outlive it: its -wal would be read as the new file's.
        if (!existsSync(path))
          for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
        placeFile(temp, path, () => new TenantExistsError(entry.name));
      } catch (e) {
        if (!(e instanceof TenantExistsError)) throw e;
        if (!job.force) throw new SnapshotError(`a blog named "${entry.name}" already exists; --force replaces it`);
        holds.push({
          release: replaceTenantFile(temp, path, entry.name),
          until: performance.now() + REPLACED_FILE_GRACE_MS,
        });
        replaced = true;
      }
      const restored = { name: entry.name, replaced, ...prepared };
      result.restored.push(restored);
      report({ name: entry.name, restored });
    } catch (e) {
      result.failed.push({ name: entry.name, error: reason(e) });
      report({ name: entry.name, error: reason(e) });
    } finally {
      removeDatabaseFiles(temp);
    }
    releaseDue(false);
  }
  if (holds.length) report({ waitMs: Math.max(0, Math.ceil(holds[holds.length - 1].until - performance.now())) });
  releaseDue(true);
  return result;
}
