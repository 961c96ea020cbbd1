// Markdown → HTML, once, when a post is saved or imported (never per request). markdown-it with
// raw HTML off escapes anything HTML-looking in the source; links and images keep only http,
// https, mailto and relative URLs; sanitize-html then enforces an allow-list on the result as a
// second line of defence. Fenced code in a known language is highlighted by highlight.js into
// spans with classes (coloured by the stylesheet, light and dark); markdown-it-footnote adds
// footnotes, markdown-it-anchor ids and a "#" link on h2–h6 (the post's title is its page's h1).
//
// The libraries are loaded on first use, not at start: a server answers from rendered pages and
// only renders when an author saves, and sanitize-html alone is a noticeable part of start-up. Of
// highlight.js only the common languages are loaded, on the first code block: all of them take
// three times as long (README, Dependencies).
//
// Ids made from an author's text live in their own namespaces, so they can never clash with
// WriteKit's own element ids (`comments`, `title`, …), which must not start with `h-` or `fn`:
// headings get `h-<words>` and footnotes `fn<n>` / `fnref<n>`.
import type { HLJSApi } from "highlight.js";
import type MarkdownItType from "markdown-it";
import type anchorType from "markdown-it-anchor";
import type footnoteType from "markdown-it-footnote";
import type sanitizeHtmlType from "sanitize-html";

const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** True for http, https, mailto and relative URLs; false for javascript:, data:, vbscript: and the like. */
export function isSafeUrl(url: string): boolean {
  // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
  const cleaned = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(cleaned);
  if (!scheme) return true; // relative (including protocol-relative, which inherits http/https)
  return SAFE_SCHEMES.has(scheme[1].toLowerCase() + ":");
}

let hljs: HLJSApi | undefined;

/** Fenced code in a language highlight.js knows, as escaped text in classed spans; "" lets markdown-it escape it plain. */
function highlightCode(code: string, language: string): string {
  if (!language) return "";
  hljs ??= require("highlight.js/lib/common") as HLJSApi;
  // getLanguage is a lookup in a null-prototype map, so "constructor" or "__proto__" are just unknown.
  if (!hljs.getLanguage(language)) return "";
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}

/** A heading's id: its letters and digits, lower-cased, hyphenated, in WriteKit's `h-` namespace. */
export function headingId(text: string): string {
  const words = text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return `h-${words || "section"}`;
}

const HEADING_ID = /^h-[\p{L}\p{M}\p{N}]+(?:-[\p{L}\p{M}\p{N}]+)*$/u;
/** The ids the renderer writes, per tag; the sanitizer drops any other id. */
const IDS: Record<string, RegExp> = {
  h2: HEADING_ID,
  h3: HEADING_ID,
  h4: HEADING_ID,
  h5: HEADING_ID,
  h6: HEADING_ID,
  li: /^fn\d+$/,
  a: /^fnref\d+(?::\d+)?$/,
};

let markdownIt: InstanceType<typeof MarkdownItType> | undefined;

function markdown(): InstanceType<typeof MarkdownItType> {
  if (markdownIt) return markdownIt;
  const MarkdownIt = require("markdown-it") as typeof MarkdownItType;
  const anchor = require("markdown-it-anchor").default as typeof anchorType;
  const footnote = require("markdown-it-footnote") as typeof footnoteType;
  const md = new MarkdownIt({ html: false, linkify: true, typographer: true, highlight: highlightCode });
  md.validateLink = isSafeUrl;
  md.use(footnote);
  // The "#" is for pointers: hidden from screen readers and out of the tab order (tabindex -1, so
  // aria-hidden holds nothing focusable), since the heading itself already says where one is.
  md.use(anchor, {
    level: [2, 3, 4, 5, 6],
    slugify: headingId,
    tabIndex: false,
    permalink: anchor.permalink.linkInsideHeader({
      symbol: "#",
      placement: "after",
      ariaHidden: true,
      renderAttrs: () => ({ tabindex: "-1" }),
    }),
  });
  // External links open normally but do not pass the author's page as referrer or opener.
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const href = String(tokens[idx].attrGet("href") ?? "");
    if (/^https?:/i.test(href)) tokens[idx].attrSet("rel", "nofollow noopener");
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  // Images reserve their space (width and height from the blog's media, so the page does not
  // shift as they load) and load lazily, except the first: it is often the largest thing on the
  // page, and a lazy one would be fetched late (Lighthouse's "LCP image was lazily loaded").
  const defaultImage = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    const render = env as RenderEnv;
    const size = render.imageSize?.(String(token.attrGet("src") ?? ""));
    if (size) {
      token.attrSet("width", String(size.width));
      token.attrSet("height", String(size.height));
    }
    if (render.images++ > 0) token.attrSet("loading", "lazy");
    return defaultImage(tokens, idx, options, env, self);
  };
  return (markdownIt = md);
}

let sanitizer: typeof sanitizeHtmlType | undefined;

/**
 * Exactly what the renderer writes: markdown-it's tags; highlight.js's spans (`hljs-<scope>` and
 * sub-scope classes like `function_`); footnotes' section, classes and ids; the heading anchor.
 * Attribute values a plain list cannot check (ids, aria-hidden, tabindex) are checked in `checkAttributes`.
 */
const SANITIZE: sanitizeHtmlType.IOptions = {
  allowedTags: [
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "s",
    "del",
    "a",
    "img",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
    "span",
    "section",
  ],
  allowedAttributes: {
    a: ["href", "title", "rel", "id", "aria-hidden", "tabindex"],
    img: ["src", "alt", "title", "width", "height", "loading"],
    ol: ["start"],
    th: ["style"],
    td: ["style"],
    code: ["class"],
    h2: ["id"],
    h3: ["id"],
    h4: ["id"],
    h5: ["id"],
    h6: ["id"],
    li: ["id"],
  },
  allowedStyles: { th: { "text-align": [/^(left|right|center)$/] }, td: { "text-align": [/^(left|right|center)$/] } },
  allowedClasses: {
    code: [/^language-[\w+#-]+$/],
    span: [/^hljs-[a-z]+(?:[_-][a-z]+)*$/, /^[a-z]+_+$/],
    a: ["header-anchor", "footnote-backref"],
    sup: ["footnote-ref"],
    hr: ["footnotes-sep"],
    section: ["footnotes"],
    ol: ["footnotes-list"],
    li: ["footnote-item"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
  transformTags: { "*": checkAttributes },
};

/** Keeps an id only in the renderer's namespaces, aria-hidden and tabindex only as the heading anchor has them, an image's size only as digits. */
function checkAttributes(tagName: string, attribs: sanitizeHtmlType.Attributes): sanitizeHtmlType.Tag {
  const kept = { ...attribs };
  for (const name of ["width", "height"])
    if (kept[name] !== undefined && !/^[1-9]\d{0,4}$/.test(kept[name])) delete kept[name];
  if (kept.loading !== undefined && kept.loading !== "lazy") delete kept.loading;
  if (kept.id !== undefined && !IDS[tagName]?.test(kept.id)) delete kept.id;
  const isAnchor = tagName === "a" && kept.class === "header-anchor";
  if (kept["aria-hidden"] !== undefined && !(isAnchor && kept["aria-hidden"] === "true")) delete kept["aria-hidden"];
  if (kept.tabindex !== undefined && !(isAnchor && kept.tabindex === "-1")) delete kept.tabindex;
  return { tagName, attribs: kept };
}

export interface RenderOptions {
  /** The pixel size of the image at `src` (the blog's own /media/ images), to reserve its space. */
  imageSize?: (src: string) => { width: number; height: number } | null;
}

/** markdown-it's per-render scratch object (its plugins keep their own state in it too). */
type RenderEnv = RenderOptions & { images: number; [key: string | symbol]: unknown };

/** The allow-list pass alone: the second line of defence, exported so it is tested on its own. */
export function sanitizeHtml(html: string): string {
  sanitizer ??= require("sanitize-html") as typeof sanitizeHtmlType;
  return sanitizer(html, SANITIZE);
}

/** Renders an author's Markdown to sanitised HTML, ready to be stored and served as is. */
export function renderMarkdown(text: string, options: RenderOptions = {}): string {
  const env: RenderEnv = { imageSize: options.imageSize, images: 0 };
  return sanitizeHtml(markdown().render(text, env));
}

/**
 * The lines (0-based, end exclusive) that are code blocks, fenced or indented, as the renderer
 * reads them: text there is shown as written, so nothing in it is a link to rewrite.
 */
export function codeBlockLines(text: string): [start: number, end: number][] {
  return markdown()
    .parse(text, {})
    .filter((token) => (token.type === "fence" || token.type === "code_block") && token.map)
    .map((token) => token.map as [number, number]);
}

/** Plain text of the first paragraphs, at most `max` characters, cut at a word boundary. */
export function excerptOf(html: string, max = 240): string {
  const text = html
    // Code, headings and footnotes (the numbers in the text and the notes at the end) are not the opening.
    .replace(/<(pre|h[1-6]|section)\b[\s\S]*?<\/\1>/g, " ")
    .replace(/<sup class="footnote-ref">[\s\S]*?<\/sup>/g, "")
    // Block boundaries become spaces; inline tags vanish so "a <a>link</a>." keeps its full stop.
    .replace(/<\/?(p|li|ul|ol|blockquote|br|hr|div|table|tr|td|th|h[1-6])\b[^>]*>/g, " ")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?-]+$/, "") + "…";
}

/**
 * Comments are plain text: escaped, split into paragraphs on blank lines, line breaks kept, and
 * bare http(s) URLs turned into nofollow links. Nothing the commenter types becomes markup.
 */
export function renderCommentText(text: string): string {
  const escape = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((para) => {
      const linked = para
        .split(/(https?:\/\/[^\s<>"']+)/g)
        .map((part, i) => {
          if (i % 2 === 0) return escape(part);
          const trail = /[.,;:!?)]+$/.exec(part)?.[0] ?? "";
          const url = part.slice(0, part.length - trail.length);
          return `<a href="${escape(url)}" rel="nofollow ugc noopener">${escape(url)}</a>${escape(trail)}`;
        })
        .join("");
      return `<p>${linked.replace(/\r?\n/g, "<br>")}</p>`;
    })
    .join("");
}
