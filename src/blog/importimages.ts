// The images an imported Markdown post shows from its old site's files: found in the text, and
// their links rewritten to the blog's own /media/ URLs once the CLI has stored the files. Pure
// text work, tested on strings; finding and reading the files is cli/importmedia.ts's job.
//
// What is an image here: `![alt](dest "title")`, a reference definition an `![alt][label]` uses,
// an HTML `<img src=…>` and Hugo's `{{< figure src=… >}}`. Nothing inside code (fenced, indented
// or `inline`) is one: code shows its text as written. The destinations Jekyll sites write through
// Liquid (`{{ site.baseurl }}/assets/a.png`, `{{ "/assets/a.png" | relative_url }}`) name the
// same path. An HTML tag or a shortcode is rewritten only when its file was found: it then becomes
// a Markdown image, which the renderer sizes and sanitises; one not found stays as it was (the
// renderer shows an HTML tag as text).
import { codeBlockLines } from "./markdown.ts";

export interface ImageReference {
  /** The path the old site served it at, without query or fragment, percent-escapes decoded: `/assets/a.png`, `img/b.jpg`. */
  path: string;
  /** The alt text written with it (the first, when it appears more than once). */
  alt: string;
}

interface Found {
  start: number;
  end: number;
  path: string;
  alt: string;
  /** The text that takes [start, end) when the image was stored at `url`. */
  replace: (url: string) => string;
}

/** `<a b.png>`, or a run without spaces that may hold balanced parentheses and begin with one Liquid output tag. */
const DEST = String.raw`<[^<>\n]*>|(?:\{\{[^{}\n]*\}\})?(?:[^\s()\\]|\\.|\([^\s()]*\))*`;
const TITLE = String.raw`(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?`;
/** Alt text: anything but unescaped brackets, one level of nested brackets allowed (CommonMark allows more; real posts do not). */
const ALT = String.raw`(?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\])*`;
const INLINE = new RegExp(String.raw`!\[(${ALT})\]\(\s*(${DEST})(${TITLE})\s*\)`, "g");
const REFERENCE_USE = new RegExp(String.raw`!\[(${ALT})\](?:\[([^\[\]\n]*)\])?(?![(\[:])`, "g");
const DEFINITION = new RegExp(String.raw`^( {0,3}\[([^\[\]\n]+)\]:[ \t]*)(${DEST})`, "gm");
const IMG_TAG = /<img\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const FIGURE = /\{\{[<%]\s*figure\b((?:[^>%"']|"[^"]*"|'[^']*')*)[>%]\}\}/g;

/** Markdown's text for an alt: brackets and backslashes escaped, on one line. */
function altText(alt: string): string {
  return alt
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\\[\]]/g, "\\$&");
}

/** An HTML or shortcode attribute's value (quoted or not), entities of the common kinds decoded. */
function attribute(attributes: string, name: string): string | null {
  const m = new RegExp(String.raw`(?:^|\s)${name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`, "i").exec(attributes);
  if (!m) return null;
  const value = m[1] ?? m[2] ?? m[3];
  return value.replace(
    /&(quot|apos|#39|lt|gt|amp);/g,
    (_, e: string) => ({ quot: '"', apos: "'", "#39": "'", lt: "<", gt: ">", amp: "&" })[e]!,
  );
}

/** The written alt with Markdown's escapes read, as the renderer reads it. */
function unescapeAlt(alt: string): string {
  return alt.replace(/\\(.)/g, "$1").replace(/\s+/g, " ").trim();
}

/**
 * The old site's path a destination names, or null when it is not a file of that site: a URL
 * with a scheme (http:, data:), one for another host (//cdn…), a fragment, or a WriteKit image.
 */
export function sitePath(written: string): string | null {
  let dest = written.trim();
  if (dest.startsWith("<") && dest.endsWith(">")) dest = dest.slice(1, -1).trim();
  // Jekyll's ways of writing a site path through Liquid.
  dest = dest.replace(/^\{\{-?\s*(["'])([^"']*)\1\s*\|\s*(?:relative_url|absolute_url)\s*-?\}\}$/, "$2");
  dest = dest.replace(/^(?:\{\{-?\s*site\.(?:url|baseurl)\s*-?\}\})+/, "");
  dest = dest.replace(/\\(.)/g, "$1").replace(/[?#].*$/s, "");
  if (
    dest === "" ||
    /^[a-z][a-z0-9+.-]*:/i.test(dest) ||
    dest.startsWith("//") ||
    dest.includes("{{") ||
    dest.includes("{%")
  )
    return null;
  if (/^\/media\/[0-9a-f]{64}\.[a-z]+$/.test(dest)) return null;
  try {
    dest = decodeURIComponent(dest);
  } catch {
    return null; // a stray % that is no escape: not a path any file has
  }
  return dest.includes("\0") ? null : dest;
}

/** The text with code blocks and inline code blanked out (same length, same lines), so no match lands in code. */
function outsideCode(text: string): string {
  const lines = text.split("\n");
  for (const [start, end] of codeBlockLines(text)) {
    for (let i = start; i < end && i < lines.length; i++) lines[i] = " ".repeat(lines[i].length);
  }
  return lines.join("\n").replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, (code) => code.replace(/[^\n]/g, " "));
}

function findImages(text: string): Found[] {
  const masked = outsideCode(text);
  const found: Found[] = [];
  for (const m of masked.matchAll(INLINE)) {
    const start = m.index;
    const alt = text.slice(start + 2, start + 2 + m[1].length);
    const destStart = start + m[0].indexOf(m[2], 2 + m[1].length + 2);
    const path = sitePath(text.slice(destStart, destStart + m[2].length));
    if (path !== null)
      found.push({
        start: destStart,
        end: destStart + m[2].length,
        path,
        alt: unescapeAlt(alt),
        replace: (url) => url,
      });
  }
  // Reference images: the definitions of the labels an image uses, with that image's alt.
  const usedLabels = new Map<string, string>();
  for (const m of masked.matchAll(REFERENCE_USE)) {
    const alt = text.slice(m.index + 2, m.index + 2 + m[1].length);
    const label = (m[2] || alt).trim().toLowerCase().replace(/\s+/g, " ");
    if (!usedLabels.has(label)) usedLabels.set(label, unescapeAlt(alt));
  }
  for (const m of masked.matchAll(DEFINITION)) {
    const alt = usedLabels.get(m[2].trim().toLowerCase().replace(/\s+/g, " "));
    if (alt === undefined) continue;
    const start = m.index + m[1].length;
    const path = sitePath(text.slice(start, start + m[3].length));
    if (path !== null) found.push({ start, end: start + m[3].length, path, alt, replace: (url) => url });
  }
  const asImage = (m: RegExpMatchArray, attributes: string, caption: string | null) => {
    const src = attribute(attributes, "src");
    const path = src === null ? null : sitePath(src);
    if (path === null) return;
    const alt = (attribute(attributes, "alt") ?? caption ?? "").replace(/\s+/g, " ").trim();
    const end = m.index! + m[0].length;
    found.push({
      start: m.index!,
      end,
      path,
      alt,
      replace: (url) => `![${altText(alt)}](${url})${caption ? `\n*${altText(caption)}*` : ""}`,
    });
  };
  for (const m of masked.matchAll(IMG_TAG)) asImage(m, text.slice(m.index + 4, m.index + m[0].length - 1), null);
  for (const m of masked.matchAll(FIGURE)) {
    const attributes = text
      .slice(m.index, m.index + m[0].length)
      .replace(/^\{\{[<%]\s*figure/, "")
      .replace(/[>%]\}\}$/, "");
    asImage(m, attributes, attribute(attributes, "caption") ?? attribute(attributes, "title"));
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Each local image the post shows, once per path, in the order they first appear. */
export function localImages(text: string): ImageReference[] {
  const byPath = new Map<string, ImageReference>();
  for (const { path, alt } of findImages(text)) {
    const seen = byPath.get(path);
    if (!seen) byPath.set(path, { path, alt });
    else if (!seen.alt && alt) seen.alt = alt;
  }
  return [...byPath.values()];
}

/** The text with every reference to a path in `urls` pointing at its new URL; the rest untouched. */
export function rewriteImages(text: string, urls: ReadonlyMap<string, string>): string {
  let out = "";
  let pos = 0;
  for (const image of findImages(text)) {
    const url = urls.get(image.path);
    if (url === undefined || image.start < pos) continue;
    out += text.slice(pos, image.start) + image.replace(url);
    pos = image.end;
  }
  return out + text.slice(pos);
}
