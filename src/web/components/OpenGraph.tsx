// OpenGraph tags for a page's <head>, so links shared elsewhere show a title and summary, and the
// first image of a post as a large card.
import type { Children } from "@kitajs/html";

export function OpenGraph({
  type,
  siteName,
  title,
  url,
  description,
  children,
}: {
  type: "website" | "article";
  siteName: string;
  title: string;
  url: string;
  description?: string;
  children?: Children;
}): JSX.Element {
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

/**
 * The first image of a post's stored HTML as an absolute URL, or null. The HTML is the sanitiser's
 * output, so an image's src is a quoted attribute with `&` written as `&amp;`, and http(s) or a path.
 */
export function firstImageOf(html: string, origin: string): { url: string; width?: string; height?: string } | null {
  const tag = /<img\s[^>]*>/.exec(html)?.[0];
  const src = tag ? /\ssrc="([^"]*)"/.exec(tag)?.[1] : undefined;
  if (!tag || !src) return null;
  const url = src.replace(/&amp;/g, "&");
  if (!/^https?:\/\//i.test(url) && !(url.startsWith("/") && !url.startsWith("//"))) return null;
  return {
    url: url.startsWith("/") ? origin + url : url,
    width: /\swidth="(\d+)"/.exec(tag)?.[1],
    height: /\sheight="(\d+)"/.exec(tag)?.[1],
  };
}

/** og:image and a large Twitter card for the first image of the post's HTML; nothing without one. */
export function ImageCard({ html, origin }: { html: string; origin: string }): JSX.Element {
  const image = firstImageOf(html, origin);
  if (!image) return "";
  return (
    <>
      <meta property="og:image" content={image.url} />
      {image.width && image.height ? (
        <>
          <meta property="og:image:width" content={image.width} />
          <meta property="og:image:height" content={image.height} />
        </>
      ) : (
        ""
      )}
      <meta name="twitter:card" content="summary_large_image" />
    </>
  );
}
