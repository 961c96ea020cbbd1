// The schema a blog file must have: exactly what WriteKit's migrations create for its version,
// computed by migrating a scratch in-memory database. A file from elsewhere (an import) is compared
// with it before anything else in it is read, so no trigger, view or index of someone else's ever
// runs here: SQLite only parses a schema when a statement is prepared, and reading sqlite_schema
// evaluates nothing.
import { Database } from "bun:sqlite";
import { migrate, MIGRATIONS, type Migration } from "./migrate.ts";

export interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

export interface ExpectedSchema {
  objects: SchemaObject[];
  /** Each table's columns at that version (what an importer can read from it). */
  columns: Map<string, Set<string>>;
}

const expected = new Map<string, ExpectedSchema>();

/** What the migrations up to `version` create. */
export function expectedSchema(version: number, migrations: readonly Migration[] = MIGRATIONS): ExpectedSchema {
  const key = `${version}\u0000${migrations.map((m) => m.file).join("\u0000")}`;
  const cached = expected.get(key);
  if (cached) return cached;
  const scratch = new Database(":memory:");
  try {
    migrate(
      scratch,
      migrations.filter((m) => m.version <= version),
    );
    const objects = readSchema(scratch);
    const columns = new Map<string, Set<string>>();
    for (const o of objects) {
      if (o.type !== "table") continue;
      const rows = scratch.query("SELECT name FROM pragma_table_info(?)").all(o.name) as { name: string }[];
      columns.set(o.name, new Set(rows.map((r) => r.name)));
    }
    const schema = { objects, columns };
    expected.set(key, schema);
    return schema;
  } finally {
    scratch.close();
  }
}

export function readSchema(db: Database): SchemaObject[] {
  return db.query("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name").all() as SchemaObject[];
}

/**
 * SQLite's own tables that ANALYZE (or `PRAGMA optimize`) adds, as SQLite defines them: never
 * copied, and only the query planner reads them.
 */
const STATISTICS = new Map([
  ["sqlite_stat1", "CREATE TABLE sqlite_stat1(tbl,idx,stat)"],
  ["sqlite_stat4", "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)"],
]);

/** "trigger on posts", "view". */
function kind(o: SchemaObject): string {
  return o.type === "trigger" || o.type === "index" ? `${o.type} on ${o.tbl_name}` : o.type;
}

/** 'trigger "x" on posts', 'view "v"'. */
function describe(o: SchemaObject): string {
  return o.type === "trigger" || o.type === "index"
    ? `${o.type} "${o.name}" on ${o.tbl_name}`
    : `${o.type} "${o.name}"`;
}

export interface SchemaDifferences {
  /** Objects WriteKit does not create, each described in words. */
  extra: string[];
  /** `DROP …` statements that would remove the extra objects, for the message. */
  drops: string[];
  /** Objects WriteKit creates that are missing or defined differently. */
  changed: string[];
}

/**
 * How `db`'s schema differs from the one the migrations create for `version`: every object is
 * compared by type, name, table and its SQL text, which SQLite stores as it was written (so a
 * CHECK, DEFAULT or generated column added to a table is a difference too). The FTS5 module's
 * shadow tables are included: their SQL has not changed in years of SQLite releases, and an
 * exception for them would let a file add a CHECK that the integrity check then evaluates.
 */
export function schemaDifferences(
  db: Database,
  version: number,
  migrations: readonly Migration[] = MIGRATIONS,
): SchemaDifferences {
  const want = new Map(expectedSchema(version, migrations).objects.map((o) => [o.name, o]));
  const result: SchemaDifferences = { extra: [], drops: [], changed: [] };
  const seen = new Set<string>();
  for (const o of readSchema(db)) {
    seen.add(o.name);
    const w = want.get(o.name);
    if (!w) {
      if (o.type === "table" && STATISTICS.get(o.name) === o.sql) continue;
      result.extra.push(describe(o));
      if (!o.name.startsWith("sqlite_") && ["table", "view", "trigger", "index"].includes(o.type))
        result.drops.push(`DROP ${o.type.toUpperCase()} "${o.name.replace(/"/g, '""')}";`);
      continue;
    }
    if (o.type !== w.type || o.tbl_name !== w.tbl_name)
      result.changed.push(`"${o.name}" is a ${kind(o)}, where WriteKit's schema version ${version} has a ${kind(w)}`);
    else if (o.sql !== w.sql)
      result.changed.push(`the ${describe(o)} is defined differently from WriteKit's schema version ${version}`);
  }
  for (const w of want.values())
    if (!seen.has(w.name)) result.changed.push(`the ${describe(w)} of WriteKit's schema version ${version} is missing`);
  return result;
}
