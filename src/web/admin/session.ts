// The session cookie: a random token, HttpOnly (no script can read it), SameSite=Lax (other sites'
// forms do not carry it), Secure when the request came over HTTPS (directly or through a trusted
// proxy). No Domain attribute, so each blog's host has its own cookie; the token is looked up in
// that blog's own sessions table, so it means nothing to any other blog.
import { SESSION_TTL_MS } from "../../blog/sessions.ts";

export const SESSION_COOKIE = "writekit_session";
/** Before sign-in: the random token the sign-in form must echo (login CSRF). */
export const LOGIN_COOKIE = "writekit_login";
export const LOGIN_COOKIE_TTL_S = 2 * 60 * 60;

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

function cookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function sessionCookie(token: string, secure: boolean): string {
  return cookie(SESSION_COOKIE, token, Math.floor(SESSION_TTL_MS / 1000), secure);
}

export function loginCookie(token: string, secure: boolean): string {
  return cookie(LOGIN_COOKIE, token, LOGIN_COOKIE_TTL_S, secure);
}

export function clearedCookie(name: string, secure: boolean): string {
  return cookie(name, "", 0, secure);
}
