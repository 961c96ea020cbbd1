// OpenGraph tags for a page's <head>, so links shared elsewhere show a title and summary.
import type { Children } from "@kitajs/html";

export function OpenGraph({ type, siteName, title, url, description, children }: { type: "website" | "article"; siteName: string; title: string; url: string; description?: string; children?: Children }): JSX.Element {
  return (
    <>
      <meta property="og:type" content={type} />
      <meta property="og:site_name" content={siteName} />
      <meta property="og:title" content={title} />
      <meta property="og:url" content={url} />
      {description ? <meta property="og:description" content={description} /> : ""}
      {children}
    </>
  );
}
