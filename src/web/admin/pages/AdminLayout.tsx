// The shell of every admin page: the blog's name, the sections (with the number of comments
// waiting), and a sign-out button that posts with the session's token. Admin pages never load the
// blog's custom CSS, so an author's stylesheet cannot hide their own controls.
import type { Children } from "@kitajs/html";
import { Document } from "../../layout.tsx";

/** What every signed-in page shows around its content. */
export interface Chrome {
  blogTitle: string;
  csrf: string;
  /** Comments waiting for moderation. */
  pending: number;
  email: string;
}

export type Section = "posts" | "media" | "comments" | "stats" | "settings";

export function CsrfField({ token }: { token: string }): JSX.Element {
  return <input type="hidden" name="csrf" value={token} />;
}

export function AdminLayout({
  title,
  chrome,
  blogTitle,
  section,
  children,
}: {
  title: string;
  chrome?: Chrome;
  blogTitle?: string;
  section?: Section;
  children?: Children;
}): JSX.Element {
  const link = (href: string, name: Section, label: JSX.Element | string) => (
    <a href={href} aria-current={section === name ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <Document
      title={chrome ? `${title} · ${chrome.blogTitle} admin` : title}
      head={<meta name="robots" content="noindex, nofollow" />}
      bodyClass="admin"
    >
      <header class="admin">
        <div class="admin-wrap">
          <div class="admin-brand">
            <a class="site-title" href="/admin" safe>
              {chrome?.blogTitle ?? blogTitle ?? "WriteKit"}
            </a>
            <a class="view-blog" href="/">
              View blog
            </a>
          </div>
          {chrome ? (
            <nav class="admin" aria-label="Admin">
              {link("/admin", "posts", "Posts")}
              {link("/admin/media", "media", "Media")}
              {link(
                "/admin/comments",
                "comments",
                <>
                  Comments
                  {chrome.pending > 0 ? (
                    <span class="count" title="Comments waiting for moderation" safe>
                      {String(chrome.pending)}
                    </span>
                  ) : (
                    ""
                  )}
                </>,
              )}
              {link("/admin/stats", "stats", "Stats")}
              {link("/admin/settings", "settings", "Settings")}
            </nav>
          ) : (
            ""
          )}
          {chrome ? (
            <form method="post" action="/admin/logout" class="signout">
              <CsrfField token={chrome.csrf} />
              <button type="submit" class="link" title={`Signed in as ${chrome.email}`}>
                Sign out
              </button>
            </form>
          ) : (
            ""
          )}
        </div>
      </header>
      <main class="admin-wrap">{children}</main>
    </Document>
  );
}

export function Notice({ kind = "ok", children }: { kind?: "ok" | "bad"; children?: Children }): JSX.Element {
  return (
    <p class={`notice ${kind}`} role={kind === "bad" ? "alert" : "status"}>
      {children}
    </p>
  );
}

/** A message beside a form field, linked to it for screen readers. */
export function FieldError({ id, message }: { id: string; message?: string }): JSX.Element {
  return message ? (
    <p class="field-error" id={`${id}-error`} safe>
      {message}
    </p>
  ) : (
    ""
  );
}
