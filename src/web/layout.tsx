// The page shell shared by every HTML page: one stylesheet, the feed link on blog pages, no script.
import type { Children } from "@kitajs/html";
import type { MenuItem } from "../blog/menu.ts";
import { STYLESHEET_PATH } from "./assets.ts";

/** What the shell needs to know about the blog a page belongs to. */
export interface BlogChrome {
  title: string;
  description: string;
  /** Absolute origin of the blog for this request, e.g. "http://alice.localhost:3000". */
  origin: string;
  /** Extra stylesheet for the blog's custom CSS, when it has some. */
  customCssPath?: string;
  /** The author's menu, in order (checked when saved and when read: only safe URLs). */
  menu: MenuItem[];
  /** The image the blog chose as its icon, by its immutable /media/ URL; without one, browsers ask /favicon.ico for the default. */
  icon?: { href: string; type: string; sizes: string };
}

export interface LayoutProps {
  title: string;
  blog?: BlogChrome;
  /** The page's own summary (a post's excerpt); a blog's pages fall back to its description, then its title. */
  description?: string;
  canonical?: string;
  /** Extra tags for <head> (OpenGraph, robots), already built as safe markup by the caller. */
  head?: Children;
  children?: Children;
}

/** The HTML document every page shares, readers' and authors' alike: one stylesheet, no script. */
export function Document({
  title,
  head,
  bodyClass,
  children,
}: {
  title: string;
  head?: Children;
  bodyClass?: string;
  children?: Children;
}): JSX.Element {
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{title}</title>
          <link rel="stylesheet" href={STYLESHEET_PATH} />
          {head}
        </head>
        <body class={bodyClass}>{children}</body>
      </html>
    </>
  );
}

export function Layout({ title, blog, description, canonical, head, children }: LayoutProps): JSX.Element {
  const summary = description || blog?.description || blog?.title;
  return (
    <Document
      title={title}
      head={
        <>
          {summary ? <meta name="description" content={summary} /> : ""}
          {canonical ? <link rel="canonical" href={canonical} /> : ""}
          {blog ? (
            <>
              <link rel="alternate" type="application/atom+xml" title={blog.title} href={`${blog.origin}/feed.xml`} />
              <link rel="alternate" type="application/feed+json" title={blog.title} href={`${blog.origin}/feed.json`} />
              {blog.customCssPath ? <link rel="stylesheet" href={blog.customCssPath} /> : ""}
              {blog.icon ? (
                <>
                  <link rel="icon" type={blog.icon.type} sizes={blog.icon.sizes} href={blog.icon.href} />
                  <link rel="apple-touch-icon" href={blog.icon.href} />
                </>
              ) : (
                ""
              )}
            </>
          ) : (
            ""
          )}
          {head}
        </>
      }
    >
      {blog ? <BlogHeader blog={blog} /> : ""}
      <main class="wrap">{children}</main>
      <footer class="site">
        <div class="wrap">
          {blog ? (
            <>
              <a href="/feed.xml">Atom feed</a> · <a href="/feed.json">JSON feed</a> ·{" "}
            </>
          ) : (
            ""
          )}
          Powered by WriteKit
        </div>
      </footer>
    </Document>
  );
}

function BlogHeader({ blog }: { blog: BlogChrome }): JSX.Element {
  return (
    <header class="site">
      <div class="wrap">
        <a class="site-title" href="/" safe>
          {blog.title}
        </a>
        <nav class="site" aria-label="Site">
          <a href="/">Home</a>
          {blog.menu.map((item) => (
            <a href={item.url} safe>
              {item.label}
            </a>
          ))}
          <a href="/search">Search</a>
          <a href="/feed.xml">Feed</a>
        </nav>
        {blog.description ? (
          <p class="site-desc" safe>
            {blog.description}
          </p>
        ) : (
          ""
        )}
      </div>
    </header>
  );
}
