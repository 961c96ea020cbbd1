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

/** Where a sign-in came from, kept with its session so the author can tell their browsers apart. */
export interface SessionOrigin {
  /** The client's address (a trusted proxy's forwarded one). */
  client: string;
  userAgent: string;
}

/** One of an author's live sessions, as the settings page lists them. */
export interface SessionInfo {
  createdAt: string;
  expiresAt: string;
  client: string;
  userAgent: string;
  /** The session of the browser asking. */
  isCurrent: boolean;
}

export const USER_AGENT_LIMIT = 300;

/** Starts a session; returns the token for the cookie (it is never stored) and the session. */
export function createSession(
  db: Database,
  authorId: number,
  now: Date,
  origin: SessionOrigin = { client: "", userAgent: "" },
): { token: string; session: Session } {
  const token = randomToken();
  const csrfToken = randomToken();
  const expiresAt = isoTime(new Date(now.getTime() + SESSION_TTL_MS));
  db.transaction(() => {
    // Signing in is rare: a good moment to forget sessions that have run out.
    db.query("DELETE FROM sessions WHERE expires_at <= ?").run(isoTime(now));
    db.query(
      "INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at, client, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      digest(token),
      authorId,
      csrfToken,
      isoTime(now),
      expiresAt,
      origin.client.slice(0, 100),
      origin.userAgent.slice(0, USER_AGENT_LIMIT),
    );
  })();
  const author = db.query("SELECT email, name FROM authors WHERE id = ?").get(authorId) as {
    email: string;
    name: string;
  };
  return { token, session: { authorId, email: author.email, name: author.name, csrfToken, expiresAt } };
}

/** The live session a cookie token belongs to, or null (unknown, expired, or malformed). */
export function findSession(db: Database, token: string, now: Date): Session | null {
  if (token.length < 20 || token.length > 100) return null;
  const row = db
    .query(
      "SELECT sessions.author_id AS authorId, authors.email AS email, authors.name AS name, sessions.csrf_token AS csrfToken, sessions.expires_at AS expiresAt FROM sessions JOIN authors ON authors.id = sessions.author_id WHERE token_hash = ? AND expires_at > ?",
    )
    .get(digest(token), isoTime(now)) as Session | null;
  return row;
}

export function deleteSession(db: Database, token: string): void {
  db.query("DELETE FROM sessions WHERE token_hash = ?").run(digest(token));
}

/** The author's live sessions, newest first, the one of `currentToken` marked. */
export function listSessions(db: Database, authorId: number, now: Date, currentToken: string): SessionInfo[] {
  const rows = db
    .query(
      "SELECT created_at AS createdAt, expires_at AS expiresAt, client, user_agent AS userAgent, token_hash = ? AS isCurrent FROM sessions WHERE author_id = ? AND expires_at > ? ORDER BY created_at DESC, token_hash",
    )
    .all(digest(currentToken), authorId, isoTime(now)) as (Omit<SessionInfo, "isCurrent"> & { isCurrent: number })[];
  return rows.map((r) => ({ ...r, isCurrent: r.isCurrent === 1 }));
}

/** Ends every other session of an author (a password change, "Sign out everywhere else"), keeping the current one. */
export function deleteOtherSessions(db: Database, authorId: number, keepToken: string): number {
  return db.query("DELETE FROM sessions WHERE author_id = ? AND token_hash != ?").run(authorId, digest(keepToken))
    .changes;
}

/** Ends every session of an author (a password reset by the operator); returns how many ended. */
export function deleteAuthorSessions(db: Database, authorId: number): number {
  return db.query("DELETE FROM sessions WHERE author_id = ?").run(authorId).changes;
}
