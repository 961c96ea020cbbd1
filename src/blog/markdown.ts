// Markdown → HTML, once, when a post is saved or imported (never per request). markdown-it with
// raw HTML off escapes anything HTML-looking in the source; links and images keep only http,
// https, mailto and relative URLs; sanitize-html then enforces an allow-list on the result as a
// second line of defence.
//
// Both libraries are loaded on first use, not at start: a server answers from rendered pages and
// only renders when an author saves, and sanitize-html alone costs ~30 ms of start-up.
import type MarkdownItType from "markdown-it";
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

let markdownIt: InstanceType<typeof MarkdownItType> | undefined;

function markdown(): InstanceType<typeof MarkdownItType> {
  if (markdownIt) return markdownIt;
  const MarkdownIt = require("markdown-it") as typeof MarkdownItType;
  const md = new MarkdownIt({ html: false, linkify: true, typographer: true });
  md.validateLink = isSafeUrl;
  // External links open normally but do not pass the author's page as referrer or opener.
  const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const href = String(tokens[idx].attrGet("href") ?? "");
    if (/^https?:/i.test(href)) tokens[idx].attrSet("rel", "nofollow noopener");
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  return (markdownIt = md);
}

let sanitizer: typeof sanitizeHtmlType | undefined;

const SANITIZE: sanitizeHtmlType.IOptions = {
  allowedTags: [
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "em", "strong", "s", "del",
    "a", "img", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
  ],
  allowedAttributes: { a: ["href", "title", "rel"], img: ["src", "alt", "title"], ol: ["start"], th: ["style"], td: ["style"], code: ["class"] },
  allowedStyles: { th: { "text-align": [/^(left|right|center)$/] }, td: { "text-align": [/^(left|right|center)$/] } },
  allowedClasses: { code: [/^language-[\w+#-]+$/] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
};

/** The allow-list pass alone: the second line of defence, exported so it is tested on its own. */
export function sanitizeHtml(html: string): string {
  sanitizer ??= require("sanitize-html") as typeof sanitizeHtmlType;
  return sanitizer(html, SANITIZE);
}

/** Renders an author's Markdown to sanitised HTML, ready to be stored and served as is. */
export function renderMarkdown(text: string): string {
  return sanitizeHtml(markdown().render(text));
}

/** Plain text of the first paragraphs, at most `max` characters, cut at a word boundary. */
export function excerptOf(html: string, max = 240): string {
  const text = html
    .replace(/<(pre|h[1-6])[\s\S]*?<\/\1>/g, " ")
    // Block boundaries become spaces; inline tags vanish so "a <a>link</a>." keeps its full stop.
    .replace(/<\/?(p|li|ul|ol|blockquote|br|hr|div|table|tr|td|th|h[1-6])\b[^>]*>/g, " ")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&amp;/g, "&")
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
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
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
