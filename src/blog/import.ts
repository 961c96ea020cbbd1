// Markdown import: one file as Jekyll, Hugo or Eleventy wrote it → the PostInput WriteKit saves.
// Pure text-and-path work with no file system and no database, so every rule here is tested on
// strings; walking folders and saving posts is the CLI's job (cli/import.ts).
import { basename, dirname } from "node:path";
import { parseDateText } from "./datetext.ts";
import { cleanLiquid, convertHugoHighlight, JEKYLL_NAME, MARKDOWN_EXTENSIONS } from "./liquid.ts";
import { LIMITS, slugify, type PostInput } from "./posts.ts";
import { isoTime } from "./time.ts";

/** A file that cannot become a post, with a message for the person importing it. */
export class ImportError extends Error {
  override name = "ImportError";
}

/** Front matter that cannot be read; `body` is what Jekyll would have published without it. */
class FrontMatterError extends ImportError {
  constructor(
    message: string,
    readonly body: string,
  ) {
    super(message);
  }
}

export interface ImportedPost {
  post: PostInput & { slug: string };
  /** What the import changed or dropped from the source, for a person to review (e.g. Liquid tags). */
  notes: string[];
}

export interface ParseOptions {
  /** Used as the date of a published post that has none in its front matter or file name. */
  modifiedAt?: Date;
}

/** The longest a Markdown file may be before it is read: the body limit with room for front matter and multi-byte text. */
export const MAX_FILE_BYTES = LIMITS.body * 4;

export function isMarkdownPath(path: string): boolean {
  return MARKDOWN_EXTENSIONS.test(path);
}

/** Why a Markdown file is not a post at all, or null when it is one. */
export function reasonToSkip(path: string): string | null {
  if (/^_index\.(md|markdown)$/i.test(basename(path))) return "a Hugo section page (_index.md), not a post";
  return null;
}

/**
 * Turns one Markdown file into a post. Throws ImportError when the file cannot be read as a post
 * (broken front matter, a date that is not a date, a title that is not text); limits on length
 * and slug rules are checked when the post is saved (PostError).
 */
export function parseMarkdownPost(text: string, path: string, options: ParseOptions = {}): ImportedPost {
  const notes: string[] = [];
  const name = fileStem(path);
  const jekyll = JEKYLL_NAME.exec(name);
  const source = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  let split: ReturnType<typeof splitFrontMatter>;
  try {
    split = splitFrontMatter(source);
  } catch (e) {
    // Jekyll logs a front matter it cannot read and publishes the post without it, dated and named
    // by its file name; so does the import, saying so, when the file name has a date to give.
    if (!(e instanceof FrontMatterError) || !jekyll) throw e;
    split = { fields: {}, format: source.startsWith("+++") ? "toml" : "yaml", body: e.body };
    notes.push(`${e.message.replace(/; (check|end|use) .*$/, "")}: imported without it, dated by its file name`);
  }
  const { fields, format, body: rawBody } = split;
  // Jekyll and Eleventy run Liquid over Markdown; Hugo (the only TOML writer) never does.
  let body = format === "toml" ? rawBody : cleanLiquid(rawBody, notes);
  body = convertHugoHighlight(body);

  let title = optionalText(fields, "title");
  if (!title) {
    const heading = firstHeading(body);
    if (heading) {
      title = heading.title;
      // The page shows the title as its own <h1>; keeping the heading would show it twice.
      body = heading.rest;
    } else {
      title = titleFromName(jekyll ? jekyll[4] : name);
    }
  }

  const slug = slugFrom(optionalText(fields, "slug"), jekyll ? jekyll[4] : name, title, notes);

  const isDraft = draftFrom(fields, path);
  let publishedAt: string | null = null;
  const date = fields.date ?? fields.publishDate ?? fields.publishdate;
  // Eleventy's "Last Modified" / "git Created" and the like mean the file's own date.
  const isFileDate = typeof date === "string" && /^(git )?(last modified|created)$/i.test(date.trim());
  if (date !== undefined && date !== null && date !== "" && !isFileDate) {
    publishedAt = parseDate(date, "date", notes);
  } else if (jekyll) {
    publishedAt = parseDate(`${jekyll[1]}-${jekyll[2]}-${jekyll[3]}`, "the date in the file name");
  } else if (!isDraft && options.modifiedAt) {
    publishedAt = isoTime(options.modifiedAt);
  }

  const tags = [...listField(fields, "tags"), ...listField(fields, "categories"), ...listField(fields, "category")];

  body = body.replace(/^(?:[ \t]*\n)+/, "").trimEnd();
  if (body) body += "\n";
  return {
    post: { title, body, slug, tags, status: isDraft ? "draft" : "published", publishedAt },
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// Front matter

type Fields = Record<string, unknown>;

function splitFrontMatter(text: string): { fields: Fields; format: "yaml" | "toml" | null; body: string } {
  const fence = /^(---|\+\+\+)[ \t]*\n/.exec(text);
  if (!fence) return { fields: {}, format: null, body: text };
  const format = fence[1] === "---" ? "yaml" : "toml";
  // YAML may also end its document with "...".
  const closing = format === "yaml" ? /^(?:---|\.\.\.)[ \t]*$/m : /^\+\+\+[ \t]*$/m;
  const rest = text.slice(fence[0].length);
  const end = closing.exec(rest);
  // Without a closing line Jekyll sees no front matter at all and publishes the whole file.
  if (!end)
    throw new FrontMatterError(
      `the front matter opened by "${fence[1]}" on line 1 is never closed; end it with a "${fence[1]}" line`,
      text,
    );
  const source = rest.slice(0, end.index);
  const body = rest.slice(end.index + end[0].length).replace(/^\n/, "");
  let parsed: unknown;
  try {
    parsed = format === "yaml" ? Bun.YAML.parse(source) : Bun.TOML.parse(source);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/^(YAML|TOML) Parse error:\s*/i, "");
    throw new FrontMatterError(
      `its ${format.toUpperCase()} front matter cannot be read (${reason}); check quotes and colons in it`,
      body,
    );
  }
  if (parsed === null || parsed === undefined) return { fields: {}, format, body };
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new FrontMatterError(`its front matter is not a list of fields like "title: My post"`, body);
  }
  return { fields: parsed as Fields, format, body };
}

function optionalText(fields: Fields, key: string): string {
  const value = fields[key];
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new ImportError(`its "${key}" is a ${Array.isArray(value) ? "list" : "group of fields"}; it should be text`);
}

/** Tags and categories: a list, or (as Jekyll allows) one string of words separated by spaces or commas. */
function listField(fields: Fields, key: string): string[] {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  if (typeof value === "number") return [String(value)];
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (typeof item === "string" || typeof item === "number") return String(item);
      throw new ImportError(`its "${key}" list holds something other than words`);
    });
  }
  throw new ImportError(`its "${key}" should be a list of words`);
}

function draftFrom(fields: Fields, path: string): boolean {
  const flag = (key: string): boolean | null => {
    const value = fields[key];
    if (value === undefined || value === null) return null;
    if (typeof value === "boolean") return value;
    if (typeof value === "string" && /^(true|yes|on)$/i.test(value.trim())) return true;
    if (typeof value === "string" && /^(false|no|off)$/i.test(value.trim())) return false;
    throw new ImportError(`its "${key}" is ${JSON.stringify(value)}; use true or false`);
  };
  if (flag("draft") === true) return true;
  if (flag("published") === false) return true; // Jekyll's way of saying draft
  // Jekyll keeps unpublished posts in a _drafts folder.
  return path.split(/[\\/]/).includes("_drafts");
}

// ---------------------------------------------------------------------------------------------
// Dates

/**
 * A front-matter date as ISO UTC text. Accepts the forms Jekyll's Time.parse accepts (see
 * datetext.ts: "2024-03-01 10:00:00 +0100", "2024-03-01T10:00:00Z", "Fri, 1 Mar 2024 10:00:00 +0100",
 * "March 1, 2024", "2024/03/01", "1 Mar 2024", …), YAML dates and TOML's date-times (which Bun
 * parses into Temporal values). A time without a zone is read as UTC. Words that are not part of
 * the date are ignored, as Ruby ignores them, and noted in `notes`.
 */
export function parseDate(value: unknown, what: string, notes: string[] = []): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ImportError(`its ${what} is not a valid date`);
    return isoTime(value);
  }
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { epochMilliseconds?: unknown }).epochMilliseconds === "number"
  ) {
    return isoTime(new Date((value as { epochMilliseconds: number }).epochMilliseconds)); // Temporal.Instant
  }
  // Temporal.PlainDate / PlainDateTime print as ISO text without a zone; YAML reads 20240301 as a number.
  const text =
    typeof value === "object" && value !== null
      ? String(value)
      : typeof value === "string"
        ? value.trim()
        : typeof value === "number"
          ? String(value)
          : null;
  const parts = text === null || text.length > 100 ? null : parseDateText(text);
  if (!parts) {
    const shown = text ?? JSON.stringify(value);
    throw new ImportError(
      `its ${what} ${JSON.stringify(shown)} is not a date; write it as 2024-03-01 or 2024-03-01 10:00:00 +0100`,
    );
  }
  const { year, month, day, hour, minute, second, offset } = parts;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(utc);
  if (
    year < 1000 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day
  ) {
    throw new ImportError(`its ${what} ${JSON.stringify(text)} is not a real date`);
  }
  if (parts.ignored.length)
    notes.push(`ignored ${parts.ignored.map((w) => JSON.stringify(w)).join(", ")} in its ${what}`);
  return isoTime(new Date(utc - (offset ?? 0) * 60_000));
}

// ---------------------------------------------------------------------------------------------
// Titles and slugs

function fileStem(path: string): string {
  const base = basename(path).replace(MARKDOWN_EXTENSIONS, "");
  // A Hugo page bundle or an Eleventy folder page (posts/my-post/index.md) is named by its folder.
  if (base.toLowerCase() === "index") {
    const folder = basename(dirname(path));
    if (folder && folder !== "." && folder !== "/") return folder;
  }
  return base;
}

function titleFromName(name: string): string {
  const words = name.replace(/[-_]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "Untitled";
}

/** The first line's `# Heading`, as a title, and the body without it. */
function firstHeading(body: string): { title: string; rest: string } | null {
  const m = /^(?:[ \t]*\n)*[ ]{0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*(?:\n|$)/.exec(body);
  if (!m) return null;
  return { title: m[1].trim(), rest: body.slice(m[0].length) };
}

/**
 * The slug decides whether a second import updates a post or adds one, so it comes from what
 * does not change between runs: the front matter's slug, else the file name (as Jekyll, Hugo and
 * Eleventy build their URLs), else the title.
 */
function slugFrom(fieldSlug: string, name: string, title: string, notes: string[]): string {
  if (fieldSlug) {
    const slug = slugify(fieldSlug);
    if (slug) {
      if (slug !== fieldSlug) notes.push(`slug "${fieldSlug}" became "${slug}"`);
      return slug;
    }
  }
  const slug = slugify(name) || slugify(title);
  if (slug) return slug;
  // A name in a script slugify drops (e.g. 日本語.md): stable across runs because the name is.
  return `post-${new Bun.CryptoHasher("sha256").update(name).digest("hex").slice(0, 8)}`;
}
