// Signing in and out. The sign-in form posts `email` and `password` to /admin/login. A wrong
// password and an unknown email get the same answer in the same time (an unknown email is checked
// against a dummy hash). Each attempt is counted before its hash is checked, so parallel attempts
// cannot slip past the limit together; after a few a client waits, without any hash being computed.
// The hashing itself goes through the server's PasswordGate: a few at once, 503 beyond.
import { Elysia, t } from "elysia";
import { findAuthorByEmail } from "../../blog/authors.ts";
import { createSession, deleteOtherSessions, deleteSession, findSession, randomToken } from "../../blog/sessions.ts";
import { formatDateTime } from "../../blog/zones.ts";
import { isoTime } from "../../blog/time.ts";
import type { Services } from "../services.ts";
import type { BlogRequest } from "../site.ts";
import type { Visit } from "../visit.ts";
import { authorContext } from "./author.tsx";
import { adminPage, adminRedirect, refuseCrossSite, refusal, safeNext } from "./context.tsx";
import { tokensMatch } from "./csrf.ts";
import { LoginPage } from "./pages/LoginPage.tsx";
import { clearedCookie, LOGIN_COOKIE, loginCookie, readCookie, SESSION_COOKIE, sessionCookie } from "./session.ts";
import { PASSWORD_BUSY_RETRY_S, type Argon } from "../passwordgate.ts";
import { RateLimiter } from "../ratelimit.ts";

/**
 * The argon2id hash (Bun.password's default parameters, as hashPassword uses) of a random password
 * that was thrown away: verifying an unknown email against it costs what a wrong password does.
 * It is a constant rather than made at start because hashing takes 64 MB and ~140 ms, which every
 * server start would pay (it was most of serve's peak memory).
 */
export const DUMMY_HASH =
  "$argon2id$v=19$m=65536,t=2,p=1$INZFlJx6IuigP282atwghQRfHI76mlLImru/Wds+stA$UvHu501MNxvdantrZj6HTT/Hx3gftvyiLiROP5wVtlQ";

/** Sign-in attempts per client and blog before 429 (a success starts the count again), and the window they are counted in. */
export const MAX_SIGN_IN_FAILURES = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

const GENERIC_FAILURE = "That email and password do not match an author of this blog. Check both and try again.";
export const BUSY_MESSAGE =
  "The server is busy checking other passwords right now, so yours was not checked. Please try again in a few seconds.";

async function passwordMatches(argon: Argon, password: string, storedHash: string | undefined): Promise<boolean> {
  // Blanked hashes (an imported export) and unknown emails are checked against the dummy, so the
  // answer takes as long as for a real author.
  const usable = storedHash?.startsWith("$argon2") ? storedHash : undefined;
  try {
    const ok = await argon.verify(password, usable ?? DUMMY_HASH);
    return ok && usable !== undefined;
  } catch {
    return false;
  }
}

export function loginRoutes(services: Services) {
  const throttle = new RateLimiter(MAX_SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS);

  /** The sign-in form with a pre-session token (kept if the browser already has a good one). */
  const form = (
    visit: Visit,
    blog: BlogRequest,
    props: { next: string; email?: string; error?: string; info?: string },
    status = 200,
    extra: HeadersInit = {},
  ) => {
    const existing = readCookie(visit.request, LOGIN_COOKIE);
    const token = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomToken();
    return adminPage(<LoginPage blogTitle={blog.chrome.title} token={token} {...props} />, status, extra, [
      loginCookie(token, visit.isHttps),
    ]);
  };

  return new Elysia({ name: "admin-login" })
    .use(authorContext(services))
    .get(
      "/admin/login",
      ({ visit, blog, query }) => {
        const token = readCookie(visit.request, SESSION_COOKIE);
        if (token && findSession(blog.db, token, services.now())) return adminRedirect(safeNext(query.next));
        return form(visit, blog, {
          next: safeNext(query.next),
          info: query.signed_out !== undefined ? "You are signed out." : undefined,
        });
      },
      {
        blog: true,
        query: t.Object({
          next: t.Optional(t.String({ maxLength: 300 })),
          signed_out: t.Optional(t.String({ maxLength: 10 })),
        }),
      },
    )
    .post(
      "/admin/login",
      async ({ visit, blog, body }) => {
        const { request } = visit;
        const crossSite = refuseCrossSite(blog, request);
        if (crossSite) return crossSite;
        const next = safeNext(body.next);
        const email = body.email.trim();
        if (!tokensMatch(body.csrf, readCookie(request, LOGIN_COOKIE))) {
          return form(
            visit,
            blog,
            {
              next,
              email,
              error:
                "This sign-in form had expired (or came from somewhere else), so you were not signed in. Please enter your password again.",
            },
            403,
          );
        }
        const now = services.now();
        const key = `${blog.tenant.name}\u0000${visit.clientKey}`;
        const wait = throttle.retryAfter(key, now.getTime());
        if (wait > 0) {
          const at = formatDateTime(isoTime(new Date(now.getTime() + wait * 1000)), blog.settings.time_zone);
          const minutes = Math.ceil(wait / 60);
          return refusal(
            blog,
            429,
            "Too many sign-in attempts",
            `Several sign-ins from your address failed in a short time, so sign-in is paused to protect this blog. Please try again in ${minutes} minute${minutes === 1 ? "" : "s"} (at ${at}).`,
            { "retry-after": String(wait) },
          );
        }
        const author = email ? findAuthorByEmail(blog.db, email) : null;
        const password = body.password;
        // From the room check to the count, nothing awaits: a request either counts and takes its
        // place in the gate's line, or is refused, before any other request is looked at.
        const verifying =
          password === ""
            ? Promise.resolve(false)
            : services.passwords.tryRun((argon) => passwordMatches(argon, password, author?.password_hash));
        if (!verifying)
          return form(visit, blog, { next, email, error: BUSY_MESSAGE }, 503, {
            "retry-after": String(PASSWORD_BUSY_RETRY_S),
          });
        throttle.hit(key, now.getTime());
        // The blog stays open across this await: openBlog holds a lease until the answer is sent.
        const ok = await verifying;
        if (!author || !ok) {
          services.metrics.failedSignIns.inc();
          return form(visit, blog, { next, email, error: GENERIC_FAILURE }, 401);
        }
        throttle.forget(key);
        const { token } = createSession(blog.db, author.id, now, {
          client: visit.client,
          userAgent: request.headers.get("user-agent") ?? "",
        });
        const secure = visit.isHttps;
        return adminRedirect(next, [clearedCookie(LOGIN_COOKIE, secure), sessionCookie(token, secure)]);
      },
      {
        blog: true,
        body: t.Object({
          email: t.String({ maxLength: 254 }),
          password: t.String({ maxLength: 1000 }),
          csrf: t.Optional(t.String({ maxLength: 100 })),
          next: t.Optional(t.String({ maxLength: 300 })),
        }),
      },
    )
    .post(
      "/admin/logout",
      ({ admin }) => {
        deleteSession(admin.blog.db, admin.token);
        return adminRedirect("/admin/login?signed_out=1", [clearedCookie(SESSION_COOKIE, admin.secure)]);
      },
      { author: true, body: t.Object({ csrf: t.Optional(t.String({ maxLength: 100 })) }) },
    )
    .post(
      "/admin/sign-out-everywhere",
      // Every session of this author but the one asking: whoever presses it is at this browser and
      // goes on working (next, perhaps, changing the password, which needs the current one). A thief
      // who presses it first only ends the author's session; signing in again and pressing it ends theirs.
      ({ admin }) => {
        const ended = deleteOtherSessions(admin.blog.db, admin.session.authorId, admin.token);
        return adminRedirect(`/admin/settings?saved=${ended === 0 ? "sessions-none" : "sessions"}#sessions`);
      },
      { author: true, body: t.Object({ csrf: t.Optional(t.String({ maxLength: 100 })) }) },
    );
}
