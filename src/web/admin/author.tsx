// Who may use the admin pages, declared by each route as an Elysia macro:
//   { blog: true }    the blog the Host names (the sign-in pages),
//   { author: true }  a signed-in author of that blog: session cookie, and for any request that can
//                     change something, the cross-site and CSRF checks,
//   { post: true }    an author and the post `:id` names (404 page when there is none).
// A request that fails a check gets the answer to send instead (sign in, refused, signed out).
import { Elysia } from "elysia";
import { countComments } from "../../blog/moderation.ts";
import { getPost, type Post } from "../../blog/posts.ts";
import { findSession, type Session } from "../../blog/sessions.ts";
import { NotFoundError } from "../errors.tsx";
import type { Services } from "../services.ts";
import { openBlog, type BlogRequest } from "../site.ts";
import { visitContext, type Visit } from "../visit.ts";
import { adminRedirect, isWrite, refusal, refuseCrossSite, signInLocation } from "./context.tsx";
import { tokensMatch } from "./csrf.ts";
import type { Chrome } from "./pages/AdminLayout.tsx";
import { readCookie, SESSION_COOKIE } from "./session.ts";

export interface Admin {
  blog: BlogRequest;
  session: Session;
  /** The cookie's token (to end this session, or keep it on a password change). */
  token: string;
  secure: boolean;
  /** What every admin page shows around its content. */
  chrome: Chrome;
}

type Checked<T> = { ok: T; refusal?: undefined } | { ok?: undefined; refusal: Response };

/** The blog the Host names; admin pages exist only on a blog's own host. */
export function adminBlog(services: Services, visit: Visit): BlogRequest {
  if (visit.site.kind !== "blog")
    throw new NotFoundError("The admin pages live on each blog's own address, like http://alice.localhost:3000/admin.");
  return openBlog(services, visit);
}

/** A string field of a body or params object of any shape (a macro does not know the route's schema). */
function fieldOf(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null || !(key in value)) return undefined;
  const field: unknown = Reflect.get(value, key);
  return typeof field === "string" ? field : undefined;
}

function parseId(raw: string | undefined): number | null {
  return raw !== undefined && /^[1-9]\d{0,11}$/.test(raw) ? Number(raw) : null;
}

/** The signed-in author for this request, or the answer to send instead. */
function signedIn(services: Services, visit: Visit, body: unknown): Checked<Admin> {
  const { request } = visit;
  const blog = adminBlog(services, visit);
  const crossSite = refuseCrossSite(blog, request);
  if (crossSite) return { refusal: crossSite };
  const token = readCookie(request, SESSION_COOKIE);
  const session = token ? findSession(blog.db, token, services.now()) : null;
  if (!session || !token) {
    const url = new URL(request.url);
    if (!isWrite(request)) return { refusal: adminRedirect(signInLocation(url.pathname + url.search)) };
    return {
      refusal: refusal(
        blog,
        401,
        "You are signed out",
        "Your session has ended, so nothing was saved. Sign in again in another tab, then come back here and send the form again.",
      ),
    };
  }
  if (isWrite(request) && !tokensMatch(fieldOf(body, "csrf"), session.csrfToken)) {
    return {
      refusal: refusal(
        blog,
        403,
        "This form has expired",
        "The form did not carry this session's security token (it may be from before you last signed in, or from another site), so nothing was changed. Go back, reload the page and try again.",
      ),
    };
  }
  const pending = countComments(blog.db, "pending");
  return {
    ok: {
      blog,
      session,
      token,
      secure: visit.isHttps,
      chrome: { blogTitle: blog.chrome.title, csrf: session.csrfToken, pending, email: session.email },
    },
  };
}

/** An author and the post the route's `:id` names. */
function withPost(
  services: Services,
  visit: Visit,
  body: unknown,
  id: string | undefined,
): Checked<{ admin: Admin; post: Post }> {
  const checked = signedIn(services, visit, body);
  if (checked.refusal) return checked;
  const admin = checked.ok;
  const postId = parseId(id);
  const post = postId === null ? null : getPost(admin.blog.db, postId);
  if (!post)
    return {
      refusal: refusal(admin.blog, 404, "No such post", "This post does not exist (it may have been deleted)."),
    };
  return { ok: { admin, post } };
}

export function authorContext(services: Services) {
  return new Elysia({ name: "author" }).use(visitContext(services)).macro({
    blog: {
      resolve: ({ visit }) => ({ blog: adminBlog(services, visit) }),
    },
    author: {
      resolve({ visit, body, status }) {
        const checked = signedIn(services, visit, body);
        return checked.refusal ? status(checked.refusal.status, checked.refusal) : { admin: checked.ok };
      },
    },
    post: {
      resolve({ visit, body, params, status }) {
        const checked = withPost(services, visit, body, fieldOf(params, "id"));
        return checked.refusal ? status(checked.refusal.status, checked.refusal) : checked.ok;
      },
    },
  });
}
