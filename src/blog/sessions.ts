// Author sessions of one blog. The cookie holds a random token; only its SHA-256 is stored here,
// so a copy of the database (or a leaked backup) cannot be turned into a signed-in browser. Each
// blog keeps its own sessions table: a token minted by one blog is unknown to every other.
import type { Database } from "bun:sqlite";
import { createHash, randomBytes } from "node:crypto";
import { isoTime } from "./time.ts";

/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 14 * 24 * 60 * 60 * 1000;

export interface Session {
  authorId: number;
  email: string;
  name: string;
  /** The per-session token every state-changing form carries. */
  csrfToken: string;
  expiresAt: string;
}

/** A new random token (32 bytes, URL-safe base64). */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

function digest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Starts a session; returns the token for the cookie (it is never stored) and the session. */
export function createSession(db: Database, authorId: number, now: Date): { token: string; session: Session } {
  const token = randomToken();
  const csrfToken = randomToken();
  const expiresAt = isoTime(new Date(now.getTime() + SESSION_TTL_MS));
  db.transaction(() => {
    // Signing in is rare: a good moment to forget sessions that have run out.
    db.query("DELETE FROM sessions WHERE expires_at <= ?").run(isoTime(now));
    db.query("INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(digest(token), authorId, csrfToken, isoTime(now), expiresAt);
  })();
  const author = db.query("SELECT email, name FROM authors WHERE id = ?").get(authorId) as { email: string; name: string };
  return { token, session: { authorId, email: author.email, name: author.name, csrfToken, expiresAt } };
}

/** The live session a cookie token belongs to, or null (unknown, expired, or malformed). */
export function findSession(db: Database, token: string, now: Date): Session | null {
  if (token.length < 20 || token.length > 100) return null;
  const row = db
    .query("SELECT sessions.author_id AS authorId, authors.email AS email, authors.name AS name, sessions.csrf_token AS csrfToken, sessions.expires_at AS expiresAt FROM sessions JOIN authors ON authors.id = sessions.author_id WHERE token_hash = ? AND expires_at > ?")
    .get(digest(token), isoTime(now)) as Session | null;
  return row;
}

export function deleteSession(db: Database, token: string): void {
  db.query("DELETE FROM sessions WHERE token_hash = ?").run(digest(token));
}

/** Ends every other session of an author (after a password change), keeping the current one. */
export function deleteOtherSessions(db: Database, authorId: number, keepToken: string): number {
  return db.query("DELETE FROM sessions WHERE author_id = ? AND token_hash != ?").run(authorId, digest(keepToken)).changes;
}

/** Ends every session of an author (a password reset by the operator); returns how many ended. */
export function deleteAuthorSessions(db: Database, authorId: number): number {
  return db.query("DELETE FROM sessions WHERE author_id = ?").run(authorId).changes;
}
