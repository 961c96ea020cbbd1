// Versioned, per-file schema migrations. Each blog records its own schema version in
// PRAGMA user_version (https://sqlite.org/pragma.html#pragma_user_version), so one blog can be
// migrated first as a canary, and a file carries the WriteKit application_id so it can be
// recognised as a blog (https://sqlite.org/fileformat.html#application_id).
//
// Some changes are more than SQL can say (0002 re-renders every post's Markdown). Such a migration
// names a data step; the step itself is JavaScript provided by the layer that owns the data
// (blog/migrations.ts, since tenants/ knows nothing about posts) and runs in the migration's
// transaction, after its SQL. A blog that has data is never migrated without its step.
import type { Database } from "bun:sqlite";
import init from "../../migrations/0001_init.sql" with { type: "text" };
import authors from "../../migrations/0002_authors.sql" with { type: "text" };
import viewsApplied from "../../migrations/0003_views_applied.sql" with { type: "text" };
import sessionClientsDomainProof from "../../migrations/0004_session_clients_domain_proof.sql" with { type: "text" };
import postsSmallColumnsFirst from "../../migrations/0005_posts_small_columns_first.sql" with { type: "text" };

export interface Migration {
  version: number;
  file: string;
  sql: string;
  /** What the data step that must follow this file's SQL does, when there is one (for messages). */
  dataStep?: string;
}

/** JavaScript run after a migration's SQL, inside its transaction. */
export type DataStep = (db: Database) => void;

/** Embedded in the binary at build time; the number prefix of each file is its version. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, file: "0001_init.sql", sql: init },
  { version: 2, file: "0002_authors.sql", sql: authors, dataStep: "re-render every post's Markdown" },
  { version: 3, file: "0003_views_applied.sql", sql: viewsApplied },
  { version: 4, file: "0004_session_clients_domain_proof.sql", sql: sessionClientsDomainProof },
  { version: 5, file: "0005_posts_small_columns_first.sql", sql: postsSmallColumnsFirst },
];

const providedSteps = new Map<number, DataStep>();

/**
 * Registers the data step of migration `version` for this process (or Worker: each has its own
 * modules). Called once by the module that owns the data; migrate() uses it by default.
 */
export function provideDataStep(version: number, step: DataStep): void {
  providedSteps.set(version, step);
}

/** "WrKt" as a 32-bit integer. */
export const APPLICATION_ID = 0x57724b74;

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export class SchemaTooNewError extends Error {
  override name = "SchemaTooNewError";
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `its schema is version ${found}, newer than this WriteKit supports (${supported}); upgrade WriteKit to open it`,
    );
  }
}

export class NotABlogError extends Error {
  override name = "NotABlogError";
}

export class MigrationError extends Error {
  override name = "MigrationError";
  constructor(
    readonly file: string,
    readonly statement: string,
    readonly reason: string,
  ) {
    super(`migration ${file} failed at: ${statement.replace(/\s+/g, " ").slice(0, 200)} — ${reason}`);
  }
}

export function schemaVersion(db: Database): number {
  return (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/**
 * The file's application id and schema version in one statement: every read of a closed blog
 * asks both (its connection is new, so each statement is prepared again).
 */
function identity(db: Database): { id: number; version: number } {
  return db
    .query(
      "SELECT a.application_id AS id, v.user_version AS version FROM pragma_application_id AS a, pragma_user_version AS v",
    )
    .get() as { id: number; version: number };
}

/** Throws unless the file is a WriteKit blog (or a brand-new empty database); its schema version. */
function blogVersion(db: Database): number {
  const { id, version } = identity(db);
  if (id === APPLICATION_ID) return version;
  const tables = (db.query("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number }).n;
  if (id === 0 && tables === 0 && version === 0) return 0; // empty: about to be created
  throw new NotABlogError(
    id === 0
      ? "it is an SQLite database but not a WriteKit blog"
      : `it belongs to another application (application_id ${id})`,
  );
}

/** Throws unless the file is a WriteKit blog (or a brand-new empty database). */
export function assertIsBlog(db: Database): void {
  blogVersion(db);
}

/** The migrations a database at `current` still needs; throws when it is newer than this binary. */
function pendingFrom(current: number, migrations: readonly Migration[]): Migration[] {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > latest) throw new SchemaTooNewError(current, latest);
  return migrations.filter((m) => m.version > current);
}

/** The migrations this database still needs; throws when it is newer than this binary. */
export function pendingMigrations(db: Database, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  return pendingFrom(blogVersion(db), migrations);
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: Migration[];
}

/**
 * Applies every pending migration, each in its own transaction: its SQL, then its data step. A
 * failing migration rolls back, leaves the blog at the last version that succeeded, and throws a
 * MigrationError naming the file and the statement (or the data step).
 *
 * A migration that names a data step is refused (before anything is written) when no step was
 * provided for it, unless the database is brand new (version 0): a step converts data written
 * under an older version, and a new database has none.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  dataSteps: ReadonlyMap<number, DataStep> = providedSteps,
): MigrationResult {
  const from = blogVersion(db);
  const pending = pendingFrom(from, migrations);
  const missing = from === 0 ? undefined : pending.find((m) => m.dataStep && !dataSteps.has(m.version));
  if (missing) {
    throw new MigrationError(
      missing.file,
      "(data step)",
      `its data step (${missing.dataStep}) was not provided to this program, so the blog was left at version ${from}`,
    );
  }
  const applied: Migration[] = [];
  if (!pending.length) return { from, to: from, applied };
  // A table is rebuilt by creating its new form, copying, and dropping the old one
  // (https://sqlite.org/lang_altertable.html#otheralter): with foreign keys on, that DROP would
  // delete every row that refers to it (ON DELETE CASCADE). Off around the migrations (it cannot
  // change inside a transaction), back as it was after; a migration is refused if it leaves
  // foreign key errors the blog did not already have.
  const foreignKeys = (db.query("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys;
  if (foreignKeys) db.run("PRAGMA foreign_keys = OFF");
  try {
    const knownErrors = from === 0 ? 0 : foreignKeyErrors(db);
    for (const m of pending) {
      db.run("BEGIN IMMEDIATE");
      let statement = "";
      try {
        for (statement of splitStatements(m.sql)) db.run(statement);
        const step = m.dataStep ? dataSteps.get(m.version) : undefined;
        if (step) {
          statement = `(data step: ${m.dataStep})`;
          step(db);
        }
        statement = "PRAGMA foreign_key_check";
        const errors = from === 0 ? 0 : foreignKeyErrors(db);
        if (errors > knownErrors)
          throw new Error(`it would leave ${errors - knownErrors} row(s) referring to rows that do not exist`);
        statement = `PRAGMA user_version = ${m.version}`;
        db.run(`PRAGMA application_id = ${APPLICATION_ID}`);
        db.run(statement);
        db.run("COMMIT");
      } catch (e) {
        db.run("ROLLBACK");
        throw new MigrationError(m.file, statement, e instanceof Error ? e.message : String(e));
      }
      applied.push(m);
    }
  } finally {
    if (foreignKeys) db.run("PRAGMA foreign_keys = ON");
  }
  return { from, to: schemaVersion(db), applied };
}

/** Rows whose foreign key names a row that does not exist (https://sqlite.org/pragma.html#pragma_foreign_key_check). */
function foreignKeyErrors(db: Database): number {
  return db.query("PRAGMA foreign_key_check").all().length;
}

/**
 * Splits a migration file into statements so a failure can name the one that failed. It skips
 * quoted text and comments and keeps a trigger's BEGIN … END body (and CASE … END) together.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let depth = 0;
  let isTrigger = false;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      i = sql.indexOf(close, i + 1);
      if (i < 0) i = n;
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      i = sql.indexOf("\n", i);
      if (i < 0) i = n;
    } else if (c === "/" && sql[i + 1] === "*") {
      i = sql.indexOf("*/", i + 2);
      i = i < 0 ? n : i + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(sql[j])) j++;
      const word = sql.slice(i, j).toUpperCase();
      if (word === "TRIGGER") isTrigger = true;
      else if (isTrigger && (word === "BEGIN" || word === "CASE")) depth++;
      else if (isTrigger && word === "END") depth--;
      i = j;
    } else if (c === ";" && depth <= 0) {
      const text = sql.slice(start, i + 1).trim();
      if (stripComments(text) !== ";") out.push(text);
      start = i + 1;
      depth = 0;
      isTrigger = false;
      i++;
    } else {
      i++;
    }
  }
  const rest = sql.slice(start).trim();
  if (stripComments(rest) !== "") out.push(rest);
  return out;
}

function stripComments(text: string): string {
  return text
    .replace(/--[^\n]*/g, "")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .trim();
}
