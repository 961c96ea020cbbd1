import { describe, expect, test } from "bun:test";
import { excerptOf, isSafeUrl, renderCommentText, renderMarkdown } from "../../src/blog/markdown.ts";

describe("Markdown rendering", () => {
  test("renders the usual Markdown", () => {
    const html = renderMarkdown("# Title\n\nSome *em* and **strong**, `code`.\n\n```ts\nconst a = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<em>em</em>");
    expect(html).toContain('<pre><code class="language-ts">const a = 1;');
    expect(html).toContain("<table>");
    expect(html).toContain("<blockquote>");
  });

  test("raw HTML shows as text", () => {
    const html = renderMarkdown('<div onclick="x()">hi</div>\n\n<script>alert(1)</script>');
    expect(html).not.toContain("<div");
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;script&gt;");
  });

  test("links and images keep only http, https, mailto and relative URLs", () => {
    expect(renderMarkdown("[a](https://example.com) [b](/local) [c](mailto:a@b.c) [d](#x)")).toContain('href="https://example.com"');
    for (const bad of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"]) {
      const html = renderMarkdown(`[x](${bad}) ![y](${bad})`);
      expect(html).not.toMatch(/(href|src)="[^"]*:/);
    }
    expect(isSafeUrl("java\nscript:alert(1)")).toBe(false);
    expect(isSafeUrl("/relative/path")).toBe(true);
    expect(isSafeUrl("https://example.com")).toBe(true);
  });

  test("an excerpt is plain text cut at a word", () => {
    const html = renderMarkdown("# Heading\n\nFirst paragraph with &amp; entities and <b>tags</b>. " + "word ".repeat(100));
    const e = excerptOf(html, 60);
    expect(e).not.toContain("Heading");
    expect(e).toStartWith("First paragraph with & entities and <b>tags</b>.");
    expect(e.length).toBeLessThanOrEqual(61);
    expect(e).toEndWith("…");
    expect(excerptOf(renderMarkdown("Read [the docs](https://x.org).\n\nNext"))).toBe("Read the docs. Next");
  });

  test("comments are plain text with paragraphs, line breaks and safe links", () => {
    expect(renderCommentText("a <b>\nb\n\nc http://x.org/y?z=1&w=2, end")).toBe('<p>a &lt;b&gt;<br>b</p><p>c <a href="http://x.org/y?z=1&amp;w=2" rel="nofollow ugc noopener">http://x.org/y?z=1&amp;w=2</a>, end</p>');
    expect(renderCommentText('javascript:alert(1) "quoted"')).toBe("<p>javascript:alert(1) &quot;quoted&quot;</p>");
  });
});
