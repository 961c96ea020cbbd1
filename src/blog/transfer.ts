// What a blog file carries when it leaves the instance and when it comes in. An author's export
// holds no secrets: sessions are deleted and password hashes blanked, so a leaked file lets nobody
// sign in. An imported file is rebuilt row by row (rebuild.ts), and its author's password set
// again. An operator's backup keeps the password hashes (a restored instance must let its authors
// sign in as before) and drops only the sessions, which a restore would otherwise bring back to life.
import type { Database } from "bun:sqlite";
// A file that comes in from an older WriteKit is migrated forward (by the snapshot Worker, whose
// only blog/ import is this module), which needs the blog's migration steps in that Worker too.
import "./migrations.ts";

/** Deletes every session and blanks every password hash (call on a copy, never on the live blog). */
export function removeSecrets(db: Database): void {
  removeSessions(db);
  db.query("UPDATE authors SET password_hash = ''").run();
}

/** Deletes every session (call on a copy, never on the live blog). */
export function removeSessions(db: Database): void {
  db.query("DELETE FROM sessions").run();
}

/** The authors who cannot sign in: their hash is blank (an export, or a backup made before hashes were kept). */
export function authorsWithoutPassword(db: Database): string[] {
  return (db.query("SELECT email FROM authors WHERE password_hash = '' ORDER BY id").all() as { email: string }[]).map(
    (r) => r.email,
  );
}

export function countPosts(db: Database): number {
  return (db.query("SELECT count(*) AS n FROM posts").get() as { n: number }).n;
}

export interface ImportedAuthor {
  email: string;
  /** Authors beyond the first, who keep a blank hash and cannot sign in until given a password. */
  others: number;
  /** The file had no author, so one was created with `fallbackEmail`. */
  created: boolean;
}

/**
 * Gives the blog's first author (the one `tenant create` made) this password hash, creating an
 * author with `fallbackEmail` when the file has none. Other authors are left without a password.
 */
export function setImportedAuthorPassword(db: Database, passwordHash: string, fallbackEmail: string): ImportedAuthor {
  const authors = db.query("SELECT id, email FROM authors ORDER BY id").all() as { id: number; email: string }[];
  if (authors.length === 0) {
    db.query(
      "INSERT INTO authors (email, name, password_hash, created_at) VALUES (?, '', ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
    ).run(fallbackEmail, passwordHash);
    return { email: fallbackEmail, others: 0, created: true };
  }
  db.query("UPDATE authors SET password_hash = ? WHERE id = ?").run(passwordHash, authors[0].id);
  return { email: authors[0].email, others: authors.length - 1, created: false };
}
