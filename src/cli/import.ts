// `writekit import NAME PATH ...`: the paths decide the kind of import. A single `.db` file is the
// round trip of `writekit export` and becomes the new blog NAME; anything else is Markdown files and
// folders (Jekyll, Hugo, Eleventy) whose posts are added to the existing blog NAME.
//
// Long because it prints a line per file and per image; the rules themselves live in blog/.
import { type Database, SQLiteError } from "bun:sqlite";
import { type Dirent, existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { hashPassword } from "../blog/authors.ts";
import { ImportError, isMarkdownPath, MAX_FILE_BYTES, parseMarkdownPost, reasonToSkip } from "../blog/import.ts";
import "../blog/migrations.ts"; // the data steps migrate() runs after a migration's SQL
import { PostError, upsertPostBySlug } from "../blog/posts.ts";
import { isoTime } from "../blog/time.ts";
import { addressOptions, blogUrl, commonOptions, describeAddress, type Address } from "../config.ts";
import { migrate } from "../tenants/migrate.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { runSnapshotJob, SnapshotError } from "../tenants/snapshot.ts";
import {
  addressArg,
  blogNameArg,
  CliError,
  err,
  exitCodesHelp,
  formatBytes,
  out,
  parse,
  usageError,
  type Command,
} from "./command.ts";
import { dataDirArg, existingDataDir, shellWord } from "./datadir.ts";
import { bringImages } from "./importmedia.ts";
import { fileErrorMessage, isInside, kindOf, readSiteFile } from "./sitefiles.ts";
import { choosePassword } from "./tenant.ts";

const usage = `Usage:
  writekit import NAME PATH ... [--site-root DIR] [--data DIR]
  writekit import NAME FILE.db [--password-stdin] [--domain D] [--port N] [--data DIR]

With Markdown files or folders (PATH ...), adds their posts to the existing blog NAME: files
ending in .md or .markdown, as written by Jekyll, Hugo or Eleventy, with YAML (---) or TOML (+++)
front matter: title, date, slug, tags, categories (added to the tags), draft, published: false.
A date may be written in any form Jekyll accepts (2024-03-01 10:00:00 +0100, March 1, 2024,
Fri, 1 Mar 2024 10:00:00 GMT, 2024/03/01, ...). A front matter that cannot be read fails its file,
unless the file name has a Jekyll date: then it is imported without it, dated by its name, and noted.
Without a date or slug in the front matter, a Jekyll file name (2024-03-01-my-post.md) gives them;
otherwise the slug is the file name (a folder's index.md takes the folder's name), the title the
first "# heading" or the file name. Folders are walked, skipping hidden ones and node_modules.
A link is read only when it leads to a file inside the folder given (a file given on its own:
inside its folder), and only regular files are read, never a named pipe or a device.
The images a post shows from the site's own files (![alt](/assets/a.png), a relative path, an
<img src> or Hugo's {{< figure src >}}) are stored in the blog and the links changed to them:
  --site-root DIR   the site's folder, where a path from the root (/assets/a.png) is looked
                    for (then in DIR/static, as Hugo serves it); a relative path is looked for
                    next to the Markdown file, then in DIR. Without it, relative paths only.
                    For other generators, their built output (_site, public) works too.
An image not found, or not a JPEG, PNG, GIF, WebP or AVIF image, keeps its link and is noted on
its file's line; the post is imported all the same.
A post is matched by its slug, so running the same import again changes nothing. One line is
printed per file (imported, updated, unchanged, skipped, failed) and a summary; the exit code is
1 when any file failed.

With one FILE.db, makes the new blog NAME from a file written by \`writekit export\` or
\`writekit backup\`. The file is only read, and nothing in it runs: a file whose schema has
anything WriteKit's migrations do not create (a trigger, a view, a table, an index) is refused,
as is a damaged one or one from a newer WriteKit. The blog is then built new by this WriteKit's
migrations and the file's rows are copied into it, each checked: posts are rendered again from
their Markdown, slugs, tags, settings and emails validated, and what is changed or left out is
listed. Sessions are never copied. The blog appears complete or not at all, and an existing blog
is never replaced.
  --password-stdin   read the author's password from the first line of standard input;
                     without it a password is generated and printed once
Exports carry no password hashes, so the blog's first author gets this password (a blog with
no author gets one, author@NAME.DOMAIN).
  --domain D, --port N   the server's own domain (env WRITEKIT_DOMAIN) and port (env PORT):
                         a custom domain inside the domain, or one another blog has, is left
                         out, and the addresses printed are those \`writekit serve\` answers
To bring back a whole instance as it was, passwords included, use \`writekit restore\`.

${exitCodesHelp("a file failed to import (the others are imported), the blog exists (FILE.db) or\nis missing (Markdown), or there is no data directory")}`;

const options = {
  ...commonOptions,
  ...addressOptions,
  "password-stdin": { type: "boolean" },
  "site-root": { type: "string" },
} as const;

/** The real path of --site-root, which must be a folder. */
function siteRootArg(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let real: string;
  try {
    real = realpathSync(value);
  } catch (e) {
    throw new CliError(`--site-root ${value}: ${fileErrorMessage(e)}`);
  }
  if (!statSync(real).isDirectory())
    throw new CliError(
      `--site-root ${value} is a file; give the folder the site is built from (the one holding _config.yml, config.toml or assets)`,
    );
  return real;
}

async function importDatabase(
  dataDir: string,
  name: TenantName,
  file: string,
  fromStdin: boolean,
  address: Address,
): Promise<number> {
  // Checked here too, before asking for a password; the worker checks again when it links.
  if (existsSync(tenantPath(dataDir, name)))
    throw new CliError(`a blog named "${name}" already exists; import under another name or delete it first`);
  if (!existsSync(file)) throw new CliError(`${file} does not exist`);
  const { password, generated } = await choosePassword(fromStdin);
  const passwordHash = await hashPassword(password);
  let result;
  try {
    result = await runSnapshotJob({
      kind: "import",
      dataDir,
      name,
      file,
      passwordHash,
      fallbackEmail: `author@${name}.${address.domain}`,
      instanceDomain: address.domain,
    });
  } catch (e) {
    if (e instanceof SnapshotError) throw new CliError(e.message);
    throw e;
  }
  const migrated =
    result.toVersion !== result.fromVersion
      ? `, migrated from schema version ${result.fromVersion} to ${result.toVersion}`
      : "";
  out(
    `Imported blog "${name}" from ${file} into ${result.path} (${result.posts} post${result.posts === 1 ? "" : "s"}, ${result.images} image${result.images === 1 ? "" : "s"}${migrated})`,
  );
  out(`  Read it at   ${blogUrl(address, name)}  (with \`writekit serve\`)`);
  out(
    `  Write at     ${blogUrl(address, name, "/admin")}  as ${result.email}${result.createdAuthor ? " (the file had no author, so one was created)" : ""}`,
  );
  if (generated) out(`  Password:    ${password}   (shown once; keep it somewhere safe)`);
  for (const note of result.notes) out(`  note: ${note}`);
  if (result.moreNotes) out(`  … and ${result.moreNotes} more note${result.moreNotes === 1 ? "" : "s"} like these`);
  if (result.otherAuthors)
    out(
      `  ${result.otherAuthors} other author${result.otherAuthors === 1 ? " has" : "s have"} no password yet: give one with \`writekit tenant password ${name} --email E\``,
    );
  out(`  ${describeAddress(address)}`);
  return 0;
}

export const importCommand: Command = {
  name: "import",
  summary: "add Markdown posts (Jekyll, Hugo, Eleventy) to a blog, or make one from a .db file",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "import");
    if (values.help) return (out(usage), 0);
    const [nameInput, ...paths] = positionals;
    if (nameInput === undefined || paths.length === 0)
      throw usageError("import needs a blog NAME and a FILE.db or Markdown files and folders", "import");
    const name = blogNameArg(nameInput);
    const address = addressArg(values);
    const databases = paths.filter((p) => p.toLowerCase().endsWith(".db"));
    if (databases.length > 0 && paths.length > 1)
      throw usageError(
        `an exported .db file is imported on its own: writekit import ${name} ${databases[0]}`,
        "import",
      );
    if (databases.length === 0 && values["password-stdin"])
      throw usageError(
        "--password-stdin is only for importing a .db file; a Markdown import adds posts to an existing blog",
        "import",
      );
    if (databases.length > 0 && values["site-root"] !== undefined)
      throw usageError("--site-root is for Markdown files: a .db file carries its images inside it", "import");
    // Even for a .db file, which makes a new blog: a mistyped --data must not start an instance nobody serves.
    const dataDir = existingDataDir(
      values,
      `to import into a new instance, make its folder first: mkdir -p ${shellWord(join(dataDirArg(values), "tenants"))}`,
    );
    if (databases.length > 0)
      return importDatabase(dataDir, name, paths[0], Boolean(values["password-stdin"]), address);
    return importMarkdown(dataDir, name, paths, siteRootArg(values["site-root"]));
  },
};

// ---------------------------------------------------------------------------------------------
// Markdown: folders of Jekyll / Hugo / Eleventy posts, upserted into an existing blog by slug.

interface Found {
  path: string;
  /** The real path of the folder named on the command line (a file's own folder): nothing outside it is read. */
  root?: string;
  /** Why this path is not read (a missing argument, an unreadable folder), or a reason to skip it. */
  error?: string;
  skip?: string;
}

/**
 * The Markdown files under the given paths, in a stable order. Files named on the command line
 * are always reported; inside folders only Markdown files are, others are counted as ignored.
 * Hidden files and folders and node_modules are not walked, nor are linked folders (no loops); a
 * link to a folder outside the one being imported gets a line saying so. Whether a file is a
 * regular file inside its root is checked when it is read (readMarkdownFile), on what is opened.
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
  const walk = (dir: string, root: string) => {
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
      if (entry.isDirectory()) {
        walk(path, root);
      } else if (isMarkdownPath(entry.name)) {
        if (entry.isFile() || entry.isSymbolicLink()) add({ path, root });
        else found.push({ path, error: `it is ${kindOf(entry)}, not a regular file` });
      } else {
        const outside = entry.isSymbolicLink() ? linkedFolderOutside(path, root) : null;
        if (outside)
          found.push({ path, skip: `a link to the folder ${outside}, outside ${root}; linked folders are not walked` });
        else ignored++;
      }
    }
  };
  for (const path of paths) {
    let stats;
    let root: string;
    try {
      stats = statSync(path);
      root = realpathSync(stats.isDirectory() ? path : dirname(path));
    } catch (e) {
      found.push({ path, error: fileErrorMessage(e) });
      continue;
    }
    if (stats.isDirectory()) walk(path, root);
    else if (isMarkdownPath(path)) add({ path, root });
    else add({ path, skip: "not a Markdown file (.md or .markdown)" });
  }
  return { found, ignored };
}

/** The real path of the folder `path` links to, when that folder lies outside `root`. */
function linkedFolderOutside(path: string, root: string): string | null {
  try {
    const target = realpathSync(path);
    return statSync(target).isDirectory() && !isInside(target, root) ? target : null;
  } catch {
    return null;
  }
}

/** A file's text, read as sitefiles.ts reads inside `root`, refused when too big to be a post or not UTF-8. */
function readMarkdownFile(path: string, root: string): { text: string; modifiedAt: Date } {
  const { bytes, modifiedAt } = readSiteFile(
    path,
    [root],
    MAX_FILE_BYTES,
    (size) => `it is ${formatBytes(size)}; a post's Markdown is at most ${formatBytes(MAX_FILE_BYTES)}`,
  );
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), modifiedAt };
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
export function importMarkdownFiles(
  db: Database,
  paths: string[],
  print: { out(line: string): void; err(line: string): void },
  siteRoot?: string,
  now = new Date(),
): MarkdownImportCounts & { ignored: number } {
  const counts: MarkdownImportCounts = { imported: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  const { found, ignored } = findMarkdownFiles(paths);
  // Two files with one slug would overwrite each other on every run; the first one keeps it.
  const slugOwners = new Map<string, string>();
  const failed = (path: string, reason: string) => {
    counts.failed++;
    print.err(`failed     ${path}: ${reason}`);
  };
  for (const { path, root, error, skip } of found) {
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
      const { text, modifiedAt } = readMarkdownFile(path, root!);
      const { post, notes } = parseMarkdownPost(text, path, { modifiedAt });
      const owner = slugOwners.get(post.slug);
      if (owner) {
        failed(
          path,
          `its slug "${post.slug}" is already taken by ${owner} in this import; give one of them another "slug:" in its front matter`,
        );
        continue;
      }
      // One transaction: a post that fails to save leaves none of its images behind.
      const outcome = db
        .transaction(() => {
          const images = bringImages(db, post.body, path, { importRoot: root!, siteRoot }, now);
          notes.push(...images.notes);
          return upsertPostBySlug(db, { ...post, body: images.body }, now);
        })
        .immediate();
      slugOwners.set(post.slug, path);
      counts[outcome]++;
      const state =
        post.status === "draft"
          ? ["draft"]
          : post.publishedAt && post.publishedAt > isoTime(now)
            ? [`scheduled for ${post.publishedAt}`]
            : [];
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

async function importMarkdown(dataDir: string, name: TenantName, paths: string[], siteRoot?: string): Promise<number> {
  const path = tenantPath(dataDir, name);
  if (!existsSync(path))
    throw new CliError(
      `there is no blog named "${name}"; Markdown is imported into an existing blog, so create it first with: writekit tenant create ${name}`,
    );
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
    const c = importMarkdownFiles(db, paths, { out, err }, siteRoot);
    const ignored = c.ignored
      ? ` (${c.ignored} file${c.ignored === 1 ? "" : "s"} that ${c.ignored === 1 ? "is" : "are"} not Markdown ignored)`
      : "";
    out(
      `${name}: ${c.imported} imported, ${c.updated} updated, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.failed} failed${ignored}`,
    );
    return c.failed ? 1 : 0;
  } finally {
    db.close();
  }
}
