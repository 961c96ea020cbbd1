// `writekit import NAME PATH ...`: one exported .db file becomes the new blog NAME. The paths decide
// the kind of import: a single `.db` file is the round trip of `writekit export`; anything else
// would be content to add to a blog, which this command does not read yet.
import { existsSync } from "node:fs";
import { checkPasswordStrength, hashPassword, PasswordError } from "../blog/authors.ts";
import { dataDirFrom, commonOptions } from "../config.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { runSnapshotJob, SnapshotError } from "../tenants/snapshot.ts";
import { blogNameArg, CliError, out, parse, readStdinLine, type Command } from "./command.ts";
import { generatePassword } from "./tenant.ts";

const usage = `Usage: writekit import NAME FILE.db [--password-stdin] [--data DIR]

Makes the new blog NAME from a file written by \`writekit export\` or \`writekit backup\`. The file
is checked (integrity, that it is a WriteKit blog, its schema version), copied, and migrated
forward when it comes from an older WriteKit; a file from a newer WriteKit is refused. The blog
appears complete or not at all, and an existing blog is never replaced.
  --password-stdin   read the author's password from the first line of standard input;
                     without it a password is generated and printed once
Exports carry no password hashes, so the blog's first author gets this password.`;

const options = { ...commonOptions, "password-stdin": { type: "boolean" } } as const;
type Values = ReturnType<typeof parse<typeof options>>["values"];

async function authorPassword(values: Values): Promise<{ password: string; generated: boolean }> {
  if (!values["password-stdin"]) return { password: generatePassword(), generated: true };
  const password = await readStdinLine();
  try {
    checkPasswordStrength(password);
  } catch (e) {
    if (e instanceof PasswordError) throw new CliError(e.message, 2);
    throw e;
  }
  return { password, generated: false };
}

async function importDatabase(dataDir: string, name: TenantName, file: string, values: Values): Promise<number> {
  // Checked here too, before asking for a password; the worker checks again when it links.
  if (existsSync(tenantPath(dataDir, name))) throw new CliError(`a blog named "${name}" already exists; import under another name or delete it first`);
  const { password, generated } = await authorPassword(values);
  const passwordHash = await hashPassword(password);
  let result;
  try {
    result = await runSnapshotJob({ kind: "import", dataDir, name, file, passwordHash, fallbackEmail: `author@${name}.localhost` });
  } catch (e) {
    if (e instanceof SnapshotError) throw new CliError(e.message);
    throw e;
  }
  const migrated = result.toVersion !== result.fromVersion ? `, migrated from schema version ${result.fromVersion} to ${result.toVersion}` : "";
  out(`Imported blog "${name}" from ${file} into ${result.path} (${result.posts} post${result.posts === 1 ? "" : "s"}${migrated})`);
  out(`  Read it at   http://${name}.localhost:3000/  (with \`writekit serve\`)`);
  out(`  Write at     http://${name}.localhost:3000/admin  as ${result.email}${result.createdAuthor ? " (the file had no author, so one was created)" : ""}`);
  if (generated) out(`  Password:    ${password}   (shown once; keep it somewhere safe)`);
  if (result.otherAuthors) out(`  ${result.otherAuthors} other author${result.otherAuthors === 1 ? " has" : "s have"} no password yet and cannot sign in until given one`);
  return 0;
}

export const importCommand: Command = {
  name: "import",
  summary: "make a blog from an exported .db file",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, options);
    if (values.help) return out(usage), 0;
    const [nameInput, ...paths] = positionals;
    if (nameInput === undefined || paths.length === 0) throw new CliError(`import needs a blog NAME and a FILE.db\n\n${usage}`, 2);
    const name = blogNameArg(nameInput);
    const dataDir = dataDirFrom(values);
    const databases = paths.filter((p) => p.toLowerCase().endsWith(".db"));
    if (databases.length > 0) {
      if (paths.length > 1) throw new CliError(`an exported .db file is imported on its own: writekit import ${name} ${databases[0]}`, 2);
      return importDatabase(dataDir, name, paths[0], values);
    }
    throw new CliError(`${paths[0]} is not a .db file; import takes one file written by \`writekit export\` (FILE.db)`, 2);
  },
};
