// The one place where errors become answers: each typed error gets its status code and a page
// that says what is wrong; anything unexpected is logged with the blog's name and shown as a
// plain 500, never as a stack trace.
import { log } from "../log.ts";
import { faultOf, type FaultKind } from "../tenants/faults.ts";
import { TenantNameError } from "../tenants/names.ts";
import { BlogUnavailableError, UnknownBlogError } from "../tenants/opener.ts";
import { BadHostError, NoSuchSiteError } from "../tenants/resolve.ts";
import { ADMIN_CSP, htmlResponse } from "./http.ts";
import { Layout, type BlogChrome } from "./layout.tsx";
import type { Services } from "./services.ts";
import { readBlog } from "./site.ts";
import type { Visit } from "./visit.ts";

/** A page or resource of a blog that does not exist (a post, a tag, a page number). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  constructor(message = "There is nothing at this address.") {
    super(message);
  }
}

/** The request was understood but is not acceptable as sent; the message says why. */
export class BadRequestError extends Error {
  override name = "BadRequestError";
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function ErrorPage({
  status,
  heading,
  message,
  blog,
}: {
  status: number;
  heading: string;
  message: string;
  blog?: BlogChrome;
}): JSX.Element {
  return (
    <Layout
      title={`${heading} · ${blog?.title ?? "WriteKit"}`}
      blog={blog}
      head={<meta name="robots" content="noindex" />}
    >
      <h1 safe>{heading}</h1>
      <p safe>{message}</p>
      <p class="meta">Error {status}</p>
      {blog ? (
        <p>
          <a href="/">Back to the home page</a>
        </p>
      ) : (
        ""
      )}
    </Layout>
  );
}

function chromeFor(services: Services, visit: Visit): BlogChrome | undefined {
  try {
    return visit.blogName === null ? undefined : readBlog(services, visit, (blog) => blog.chrome);
  } catch {
    return undefined;
  }
}

interface Mapped {
  status: number;
  heading: string;
  message: string;
  inBlog: boolean;
  headers?: Record<string, string>;
}

function describeValidation(error: any): string {
  // Elysia's ValidationError; in production its message is terse, so name the field ourselves.
  const first = error?.all?.[0] ?? error?.valueError;
  const path = String(first?.path ?? first?.property ?? "").replace(/^\//, "");
  const reason = first?.summary ?? first?.message;
  if (path && reason) return `The field "${path}" is not valid: ${reason}.`;
  if (path) return `The field "${path}" is not valid.`;
  return "Some of the request's fields are missing or not valid.";
}

const UNAVAILABLE =
  "This blog cannot be opened right now. The people running this site have been told; please try again later.";

/** A storage fault (an SQLiteError from the blog's file) as a page: what happened and whether to retry. */
function mapFault(kind: FaultKind): Mapped {
  switch (kind) {
    case "read-only":
      return {
        status: 503,
        heading: "This blog is read-only right now",
        message:
          "Its file cannot be written at the moment, so nothing was saved. Reading the blog still works; please try again later.",
        inBlog: true,
        headers: { "retry-after": "300" },
      };
    case "full":
      return {
        status: 503,
        heading: "The server's disk is full",
        message:
          "Nothing was saved because there is no space left for this blog. Reading the blog still works; please try again later.",
        inBlog: true,
        headers: { "retry-after": "300" },
      };
    case "io":
      return {
        status: 503,
        heading: "Storage error",
        message:
          "The server could not read or write this blog's file (a disk error), so nothing was saved. Please try again later.",
        inBlog: false,
        headers: { "retry-after": "60" },
      };
    case "busy":
      return {
        status: 503,
        heading: "This blog is busy",
        message:
          "Another program is writing to this blog right now, so nothing was saved. Please try again in a few seconds.",
        inBlog: false,
        headers: { "retry-after": "5" },
      };
    case "corrupt":
    case "cannot-open":
      return {
        status: 503,
        heading: "Blog unavailable",
        message: UNAVAILABLE,
        inBlog: false,
        headers: { "retry-after": "60" },
      };
  }
}

function mapError(code: string | number, error: any): Mapped | null {
  if (error instanceof NotFoundError)
    return { status: 404, heading: "Not found", message: error.message, inBlog: true };
  if (error instanceof BadRequestError)
    return {
      status: error.status,
      heading: error.status === 413 ? "Too large" : "Bad request",
      message: error.message,
      inBlog: true,
    };
  if (error instanceof UnknownBlogError || error instanceof NoSuchSiteError || error instanceof TenantNameError)
    return {
      status: 404,
      heading: "No blog here",
      message: error.message.charAt(0).toUpperCase() + error.message.slice(1) + ".",
      inBlog: false,
    };
  if (error instanceof BadHostError)
    return { status: 400, heading: "Bad request", message: `${error.message}.`, inBlog: false };
  if (error instanceof BlogUnavailableError)
    return {
      status: 503,
      heading: "Blog unavailable",
      message: UNAVAILABLE,
      inBlog: false,
      headers: { "retry-after": "60" },
    };
  switch (code) {
    case "NOT_FOUND":
      return { status: 404, heading: "Not found", message: "There is nothing at this address.", inBlog: true };
    case "VALIDATION":
      return { status: 400, heading: "Bad request", message: describeValidation(error), inBlog: true };
    case "PARSE":
      return {
        status: 400,
        heading: "Bad request",
        message: "The request body could not be read: send a form or JSON.",
        inBlog: true,
      };
    case "INVALID_COOKIE_SIGNATURE":
      return { status: 400, heading: "Bad request", message: "A cookie was tampered with.", inBlog: true };
  }
  if (error?.code === 413 || /too large/i.test(String(error?.message)))
    return {
      status: 413,
      heading: "Too large",
      message: "The request body is larger than this server accepts.",
      inBlog: true,
    };
  return null;
}

/** Error pages of the admin may never be framed either. */
function policyFor(request: Request): Record<string, string> {
  return new URL(request.url).pathname.startsWith("/admin") ? { "content-security-policy": ADMIN_CSP } : {};
}

export function errorResponse(services: Services, visit: Visit, code: string | number, error: any): Response {
  const { request } = visit;
  const fault = faultOf(error);
  if (fault) {
    // The blog's file failed under a statement: the pool logs it once and drops a damaged
    // handle; its cached pages go too, so no reader is served a page of a blog that broke.
    const blog = visit.blogName;
    if (blog) {
      services.pool.noteFault(blog, error);
      if (fault === "corrupt" || fault === "cannot-open") services.pages.invalidate(blog);
    } else {
      log.error("storage fault", {
        path: new URL(request.url).pathname,
        fault,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const mapped = fault ? mapFault(fault) : mapError(code, error);
  if (!mapped) {
    log.error("unexpected error", {
      blog: visit.blogName ?? undefined,
      path: new URL(request.url).pathname,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    const body = (
      <ErrorPage
        status={500}
        heading="Something went wrong"
        message="The server could not answer this request. It has been logged; please try again later."
      />
    );
    return htmlResponse(String(body), 500, policyFor(request));
  }
  const blog = mapped.inBlog ? chromeFor(services, visit) : undefined;
  const body = <ErrorPage status={mapped.status} heading={mapped.heading} message={mapped.message} blog={blog} />;
  return htmlResponse(String(body), mapped.status, {
    ...(mapped.headers ?? {}),
    "cache-control": "no-store",
    ...policyFor(request),
  });
}
