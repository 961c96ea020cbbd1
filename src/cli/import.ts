// `writekit import NAME PATH ...`: the paths decide the kind of import. A single `.db` file is the
// round trip of `writekit export` and becomes the new blog NAME; anything else is Markdown files and
// folders (Jekyll, Hugo, Eleventy) whose posts are added to the existing blog NAME.
import { type Database, SQLiteError } from "bun:sqlite";
import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { hashPassword } from "../blog/authors.ts";
import { ImportError, isMarkdownPath, MAX_FILE_BYTES, parseMarkdownPost, reasonToSkip } from "../blog/import.ts";
import { PostError, upsertPostBySlug } from "../blog/posts.ts";
import { isoTime } from "../blog/time.ts";
import { addressOptions, blogUrl, commonOptions, describeAddress, type Address } from "../config.ts";
import { migrate } from "../tenants/migrate.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { runSnapshotJob, SnapshotError } from "../tenants/snapshot.ts";
import { addressArg, blogNameArg, CliError, err, exitCodesHelp, formatBytes, out, parse, usageError, type Command } from "./command.ts";
import { dataDirArg, existingDataDir, shellWord } from "./datadir.ts";
import { choosePassword } from "./tenant.ts";

const usage = `Usage:
  writekit import NAME PATH ... [--data DIR]
  writekit import NAME FILE.db [--password-stdin] [--domain D] [--port N] [--data DIR]

With Markdown files or folders (PATH ...), adds their posts to the existing blog NAME: files
ending in .md or .markdown, as written by Jekyll, Hugo or Eleventy, with YAML (---) or TOML (+++)
front matter: title, date, slug, tags, categories (added to the tags), draft, published: false.
Without a date or slug in the front matter, a Jekyll file name (2024-03-01-my-post.md) gives them;
otherwise the slug is the file name (a folder's index.md takes the folder's name), the title the
first "# heading" or the file name. Folders are walked, skipping hidden ones and node_modules.
A post is matched by its slug, so running the same import again changes nothing. One line is
printed per file (imported, updated, unchanged, skipped, failed) and a summary; the exit code is
1 when any file failed.

With one FILE.db, makes the new blog NAME from a file written by \`writekit export\` or
\`writekit backup\`. The file is checked (integrity, that it is a WriteKit blog, its schema
version), copied, and migrated forward when it comes from an older WriteKit; a file from a newer
WriteKit is refused. The blog appears complete or not at all, and an existing blog is never
replaced.
  --password-stdin   read the author's password from the first line of standard input;
                     without it a password is generated and printed once
Exports carry no password hashes, so the blog's first author gets this password (a blog with
no author gets one, author@NAME.DOMAIN).
  --domain D, --port N   only decide the addresses printed (env WRITEKIT_DOMAIN, PORT), as
                         \`writekit serve\` would answer them; see \`writekit tenant --help\`
To bring back a whole instance as it was, passwords included, use \`writekit restore\`.

${exitCodesHelp("a file failed to import (the others are imported), the blog exists (FILE.db) or\nis missing (Markdown), or there is no data directory")}`;

const options = { ...commonOptions, ...addressOptions, "password-stdin": { type: "boolean" } } as const;

async function importDatabase(dataDir: string, name: TenantName, file: string, fromStdin: boolean, address: Address): Promise<number> {
  // Checked here too, before asking for a password; the worker checks again when it links.
  if (existsSync(tenantPath(dataDir, name))) throw new CliError(`a blog named "${name}" already exists; import under another name or delete it first`);
  if (!existsSync(file)) throw new CliError(`${file} does not exist`);
  const { password, generated } = await choosePassword(fromStdin);
  const passwordHash = await hashPassword(password);
  let result;
  try {
    result = await runSnapshotJob({ kind: "import", dataDir, name, file, passwordHash, fallbackEmail: `author@${name}.${address.domain}` });
  } catch (e) {
    if (e instanceof SnapshotError) throw new CliError(e.message);
    throw e;
  }
  const migrated = result.toVersion !== result.fromVersion ? `, migrated from schema version ${result.fromVersion} to ${result.toVersion}` : "";
  out(`Imported blog "${name}" from ${file} into ${result.path} (${result.posts} post${result.posts === 1 ? "" : "s"}${migrated})`);
  out(`  Read it at   ${blogUrl(address, name)}  (with \`writekit serve\`)`);
  out(`  Write at     ${blogUrl(address, name, "/admin")}  as ${result.email}${result.createdAuthor ? " (the file had no author, so one was created)" : ""}`);
  if (generated) out(`  Password:    ${password}   (shown once; keep it somewhere safe)`);
  if (result.otherAuthors) out(`  ${result.otherAuthors} other author${result.otherAuthors === 1 ? " has" : "s have"} no password yet: give one with \`writekit tenant password ${name} --email E\``);
  out(`  ${describeAddress(address)}`);
  return 0;
}

export const importCommand: Command = {
  name: "import",
  summary: "add Markdown posts (Jekyll, Hugo, Eleventy) to a blog, or make one from a .db file",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "import");
    if (values.help) return out(usage), 0;
    const [nameInput, ...paths] = positionals;
    if (nameInput === undefined || paths.length === 0) throw usageError("import needs a blog NAME and a FILE.db or Markdown files and folders", "import");
    const name = blogNameArg(nameInput);
    const address = addressArg(values);
    const databases = paths.filter((p) => p.toLowerCase().endsWith(".db"));
    if (databases.length > 0 && paths.length > 1) throw usageError(`an exported .db file is imported on its own: writekit import ${name} ${databases[0]}`, "import");
    if (databases.length === 0 && values["password-stdin"]) throw usageError("--password-stdin is only for importing a .db file; a Markdown import adds posts to an existing blog", "import");
    // Even for a .db file, which makes a new blog: a mistyped --data must not start an instance nobody serves.
    const dataDir = existingDataDir(values, `to import into a new instance, make its folder first: mkdir -p ${shellWord(join(dataDirArg(values), "tenants"))}`);
    if (databases.length > 0) return importDatabase(dataDir, name, paths[0], Boolean(values["password-stdin"]), address);
    return importMarkdown(dataDir, name, paths);
  },
};

// ---------------------------------------------------------------------------------------------
// Markdown: folders of Jekyll / Hugo / Eleventy posts, upserted into an existing blog by slug.

interface Found {
  path: string;
  /** Why this path is not read (a missing argument, an unreadable folder), or a reason to skip it. */
  error?: string;
  skip?: string;
}

function fileErrorMessage(e: unknown): string {
  const code = (e as { code?: string })?.code;
  if (code === "ENOENT") return "no such file or folder (or a link to nothing)";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a folder";
  if (code === "ELOOP") return "too many levels of symbolic links";
  return e instanceof Error ? e.message : String(e);
}

/**
 * The Markdown files under the given paths, in a stable order. Files named on the command line
 * are always reported; inside folders only Markdown files are, others are counted as ignored.
 * Hidden files and folders and node_modules are not walked, nor are linked folders (no loops).
 */
function findMarkdownFiles(paths: string[]): { found: Found[]; ignored: number } {
  const found: Found[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  const add = (entry: Found) => {
    let key = entry.path;
    try {
      key = realpathSync(entry.path);
    } catch {}
    if (seen.has(key)) return;
    seen.add(key);
    found.push(entry);
  };
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      found.push({ path: dir, error: `cannot list this folder: ${fileErrorMessage(e)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (isMarkdownPath(entry.name)) add({ path });
      else ignored++;
    }
  };
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch (e) {
      found.push({ path, error: fileErrorMessage(e) });
      continue;
    }
    if (stats.isDirectory()) walk(path);
    else if (isMarkdownPath(path)) add({ path });
    else add({ path, skip: "not a Markdown file (.md or .markdown)" });
  }
  return { found, ignored };
}

/** A file's text, refused when it is too big to be a post or is not UTF-8. */
function readMarkdownFile(path: string): { text: string; modifiedAt: Date } {
  const stats = statSync(path);
  if (stats.isDirectory()) throw new ImportError("it is a folder");
  if (stats.size > MAX_FILE_BYTES) throw new ImportError(`it is ${formatBytes(stats.size)}; a post's Markdown is at most ${formatBytes(MAX_FILE_BYTES)}`);
  const bytes = readFileSync(path);
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), modifiedAt: stats.mtime };
  } catch {
    throw new ImportError("it is not UTF-8 text");
  }
}

interface MarkdownImportCounts {
  imported: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

/**
 * Imports every Markdown file under `paths` into `db`, one post per file, printing a line per file.
 * One bad file is reported and the others go on; a second run finds every post unchanged.
 */
export function importMarkdownFiles(db: Database, paths: string[], print: { out(line: string): void; err(line: string): void }, now = new Date()): MarkdownImportCounts & { ignored: number } {
  const counts: MarkdownImportCounts = { imported: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  const { found, ignored } = findMarkdownFiles(paths);
  // Two files with one slug would overwrite each other on every run; the first one keeps it.
  const slugOwners = new Map<string, string>();
  const failed = (path: string, reason: string) => {
    counts.failed++;
    print.err(`failed     ${path}: ${reason}`);
  };
  for (const { path, error, skip } of found) {
    if (error) {
      failed(path, error);
      continue;
    }
    const skipReason = skip ?? reasonToSkip(path);
    if (skipReason) {
      counts.skipped++;
      print.out(`skipped    ${path}: ${skipReason}`);
      continue;
    }
    try {
      const { text, modifiedAt } = readMarkdownFile(path);
      const { post, notes } = parseMarkdownPost(text, path, { modifiedAt });
      const owner = slugOwners.get(post.slug);
      if (owner) {
        failed(path, `its slug "${post.slug}" is already taken by ${owner} in this import; give one of them another "slug:" in its front matter`);
        continue;
      }
      const outcome = upsertPostBySlug(db, post, now);
      slugOwners.set(post.slug, path);
      counts[outcome]++;
      const state = post.status === "draft" ? ["draft"] : post.publishedAt && post.publishedAt > isoTime(now) ? [`scheduled for ${post.publishedAt}`] : [];
      const extra = [...state, ...notes];
      print.out(`${outcome.padEnd(10)} ${path} → /${post.slug}${extra.length ? ` (${extra.join("; ")})` : ""}`);
    } catch (e) {
      if (e instanceof ImportError || e instanceof PostError) failed(path, e.message);
      else if (e instanceof SQLiteError) failed(path, `the blog's database refused it: ${e.message}`);
      else failed(path, fileErrorMessage(e));
    }
  }
  return { ...counts, ignored };
}

async function importMarkdown(dataDir: string, name: TenantName, paths: string[]): Promise<number> {
  const path = tenantPath(dataDir, name);
  if (!existsSync(path)) throw new CliError(`there is no blog named "${name}"; Markdown is imported into an existing blog, so create it first with: writekit tenant create ${name}`);
  let db: Database;
  try {
    db = openBlogDatabase(path);
  } catch (e) {
    throw new CliError(`cannot open the blog "${name}": ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    try {
      migrate(db);
    } catch (e) {
      throw new CliError(`cannot import into the blog "${name}": ${e instanceof Error ? e.message : String(e)}`);
    }
    const c = importMarkdownFiles(db, paths, { out, err });
    const ignored = c.ignored ? ` (${c.ignored} file${c.ignored === 1 ? "" : "s"} that ${c.ignored === 1 ? "is" : "are"} not Markdown ignored)` : "";
    out(`${name}: ${c.imported} imported, ${c.updated} updated, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.failed} failed${ignored}`);
    return c.failed ? 1 : 0;
  } finally {
    db.close();
  }
}
