// What Jekyll's and Eleventy's Liquid and Hugo's shortcodes would have made of a post's Markdown,
// for the Markdown import (import.ts): the page the old site showed, as plain Markdown WriteKit
// renders. Pure text work, tested on strings.
import { basename } from "node:path";
import { slugify } from "./posts.ts";

export const MARKDOWN_EXTENSIONS = /\.(md|markdown)$/i;
/** `2024-03-01-my-post.md`: Jekyll's post file name carries the date and the slug. */
export const JEKYLL_NAME = /^(\d{4})-(\d{2})-(\d{2})-(.+)$/;

/** Jekyll's `{% post_url 2024-03-01-my-post %}` → the WriteKit URL of that post. */
function postUrl(reference: string): string {
  const name = basename(reference.trim().replace(/^["']|["']$/g, "")).replace(MARKDOWN_EXTENSIONS, "");
  const jekyll = JEKYLL_NAME.exec(name);
  return `/${slugify(jekyll ? jekyll[4] : name)}`;
}

const LIQUID_TAG = /\{%-?\s*([A-Za-z_]\w*)([\s\S]*?)-?%\}/g;

function findEndTag(text: string, name: string, from: number): { start: number; end: number } | null {
  const re = new RegExp(`\\{%-?\\s*${name}\\s*-?%\\}`, "g");
  re.lastIndex = from;
  const m = re.exec(text);
  return m ? { start: m.index, end: m.index + m[0].length } : null;
}

/**
 * Liquid tags become what the page would have shown: `{% highlight ruby %}` a fenced code block,
 * `{% raw %}` its content untouched, `{% post_url %}` a link to the imported post. Tags whose
 * output depends on the old site (`{% include %}`, loops, conditions) are removed and noted;
 * `{{ site.title }}` and other output tags stay as literal text, which the renderer escapes.
 */
export function cleanLiquid(text: string, notes: string[] = []): string {
  const re = new RegExp(LIQUID_TAG.source, "g");
  let out = "";
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out += text.slice(pos, m.index);
    const [whole, name, args] = m;
    pos = m.index + whole.length;
    const block = (end: string) => {
      const found = findEndTag(text, end, pos);
      const inner = text.slice(pos, found ? found.start : text.length);
      if (!found) notes.push(`{% ${name} %} has no {% ${end} %}; kept the text after it`);
      pos = found ? found.end : text.length;
      return inner;
    };
    // A tag alone on its line takes its line break with it, so removed tags leave no gaps.
    const eatLine = () => {
      const after = /^[ \t]*\n/.exec(text.slice(pos, pos + 200));
      if (after && (out === "" || /\n[ \t]*$/.test(out))) {
        out = out.replace(/[ \t]*$/, "");
        pos += after[0].length;
      }
    };
    switch (name) {
      case "raw":
        eatLine();
        out += block("endraw");
        break;
      case "comment":
        block("endcomment");
        eatLine();
        break;
      case "highlight": {
        const code = cleanLiquid(block("endhighlight"), notes);
        out += fencedCode(out, code, /^\s*([\w+#-]+)/.exec(args)?.[1] ?? "");
        break;
      }
      case "post_url":
        out += postUrl(args);
        break;
      case "link":
        // `{% link _posts/2024-03-01-my-post.md %}` points at a post this import brings along.
        if (/(^|\/)_posts\//.test(args.trim())) out += postUrl(args);
        else note(notes, `removed Liquid {% link %}`);
        break;
      default:
        eatLine();
        note(notes, `removed Liquid {% ${name} %}`);
    }
    re.lastIndex = pos;
  }
  return out + text.slice(pos);
}

function note(notes: string[], text: string): void {
  if (!notes.includes(text)) notes.push(text);
}

function fencedCode(before: string, code: string, language: string): string {
  const content = code.replace(/^[ \t]*\n/, "").replace(/\s+$/, "");
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  const lead = before === "" || before.endsWith("\n") ? "" : "\n";
  return `${lead}${fence}${language}\n${content}\n${fence}\n`;
}

/** Hugo's `{{< highlight go >}}…{{< /highlight >}}` shortcode → a fenced code block. */
export function convertHugoHighlight(text: string): string {
  return text.replace(
    /\{\{[<%]\s*highlight\s+([\w+#-]+)[^}]*?[>%]\}\}([\s\S]*?)\{\{[<%]\s*\/\s*highlight\s*[>%]\}\}/g,
    (_, language: string, code: string, offset: number) => fencedCode(text.slice(0, offset), code, language),
  );
}
