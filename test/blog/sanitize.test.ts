// The sanitizer on its own: markdown-it (raw HTML off, validateLink) stops all of this first, so
// only a direct test shows whether the second line of defence still holds.
import { describe, expect, test } from "bun:test";
import { sanitizeHtml } from "../../src/blog/markdown.ts";

describe("sanitizeHtml", () => {
  test("script, style, iframe, meta, svg and form elements are removed with what they contain", () => {
    expect(sanitizeHtml("<p>ok</p><script>alert(1)</script>")).toBe("<p>ok</p>");
    expect(sanitizeHtml("<style>body{display:none}</style><p>ok</p>")).toBe("<p>ok</p>");
    expect(sanitizeHtml('<iframe src="https://evil.com"></iframe>')).toBe("");
    expect(sanitizeHtml('<meta http-equiv="refresh" content="0;url=https://evil.com">')).toBe("");
    expect(sanitizeHtml("<svg onload=alert(1)><circle/></svg>")).toBe("");
    expect(sanitizeHtml('<form action="https://evil.com"><input name=p></form>')).toBe("");
  });

  test("javascript:, data:, vbscript: and protocol-relative links lose their href, however they are spelled", () => {
    for (const href of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "java\tscript:alert(1)",
      "java&#x09;script:alert(1)",
      " javascript:alert(1)",
      "&#106;avascript:alert(1)",
      "data:text/html;base64,PHNjcmlwdD4=",
      "vbscript:msgbox(1)",
      "//evil.com/x",
      "\\\\evil.com",
      "/\\evil.com",
    ]) {
      expect({ href, html: sanitizeHtml(`<a href="${href}">x</a>`) }).toEqual({ href, html: "<a>x</a>" });
    }
    expect(sanitizeHtml('<a href="https://ok.example/" title="t">x</a>')).toBe(
      '<a href="https://ok.example/" title="t">x</a>',
    );
    expect(sanitizeHtml('<a href="/local">x</a> <a href="mailto:a@b.example">m</a>')).toBe(
      '<a href="/local">x</a> <a href="mailto:a@b.example">m</a>',
    );
  });

  test("on* attributes, styles other than table alignment, and classes other than a code language go", () => {
    expect(sanitizeHtml('<p onclick="x()" onmouseover=y>t</p>')).toBe("<p>t</p>");
    expect(sanitizeHtml("<img src=x onerror=alert(1)>")).toBe('<img src="x" />');
    expect(sanitizeHtml('<img src="data:image/svg+xml,<svg onload=alert(1)>">')).toBe("<img />");
    expect(sanitizeHtml('<td style="text-align:center;background:url(x)">c</td>')).toBe(
      '<td style="text-align:center">c</td>',
    );
    expect(sanitizeHtml('<code class="language-js evil">x</code>')).toBe('<code class="language-js">x</code>');
    expect(sanitizeHtml('<a href="https://x.example/" target="_blank" style="position:fixed">y</a>')).toBe(
      '<a href="https://x.example/">y</a>',
    );
  });
});
