// Authors of a blog and their passwords (argon2id through Bun.password).
import type { Database } from "bun:sqlite";

export interface Author {
  id: number;
  email: string;
  name: string;
}

export const MIN_PASSWORD_LENGTH = 10;

export class PasswordError extends Error {
  override name = "PasswordError";
}

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new PasswordError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  if (password.length > 1000) throw new PasswordError("the password must be at most 1000 characters long");
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(email);
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

/** Inserts an author whose password is already hashed (hashing is slow: do it before a transaction). */
export function insertAuthor(db: Database, author: { email: string; name?: string; passwordHash: string }): Author {
  const row = db
    .query(
      "INSERT INTO authors (email, name, password_hash, created_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) RETURNING id, email, name",
    )
    .get(author.email, author.name ?? "", author.passwordHash) as Author;
  return row;
}

export function findAuthorByEmail(db: Database, email: string): (Author & { password_hash: string }) | null {
  return db.query("SELECT id, email, name, password_hash FROM authors WHERE email = ?").get(email) as
    (Author & { password_hash: string }) | null;
}

export function setAuthorPassword(db: Database, authorId: number, passwordHash: string): void {
  db.query("UPDATE authors SET password_hash = ? WHERE id = ?").run(passwordHash, authorId);
}

/** Every author of the blog, oldest first, and whether each has a password to sign in with. */
export function listAuthors(db: Database): (Author & { hasPassword: boolean })[] {
  const rows = db
    .query("SELECT id, email, name, password_hash != '' AS hasPassword FROM authors ORDER BY id")
    .all() as (Author & { hasPassword: number })[];
  return rows.map((r) => ({ ...r, hasPassword: r.hasPassword === 1 }));
}
