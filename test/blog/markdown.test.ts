import { describe, expect, test } from "bun:test";
import { excerptOf, headingId, isSafeUrl, renderCommentText, renderMarkdown } from "../../src/blog/markdown.ts";

describe("Markdown rendering", () => {
  test("renders the usual Markdown", () => {
    const html = renderMarkdown(
      "# Title\n\nSome *em* and **strong**, `code`.\n\n```ts\nconst a = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote",
    );
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<em>em</em>");
    expect(html).toContain(
      '<pre><code class="language-ts"><span class="hljs-keyword">const</span> a = <span class="hljs-number">1</span>;',
    );
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
    expect(renderMarkdown("[a](https://example.com) [b](/local) [c](mailto:a@b.c) [d](#x)")).toContain(
      'href="https://example.com"',
    );
    for (const bad of [
      "javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      "data:text/html,x",
      "vbscript:x",
      "file:///etc/passwd",
    ]) {
      const html = renderMarkdown(`[x](${bad}) ![y](${bad})`);
      expect(html).not.toMatch(/(href|src)="[^"]*:/);
    }
    expect(isSafeUrl("java\nscript:alert(1)")).toBe(false);
    expect(isSafeUrl("/relative/path")).toBe(true);
    expect(isSafeUrl("https://example.com")).toBe(true);
  });

  test("an excerpt is plain text cut at a word", () => {
    const html = renderMarkdown(
      "# Heading\n\nFirst paragraph with &amp; entities and <b>tags</b>. " + "word ".repeat(100),
    );
    const e = excerptOf(html, 60);
    expect(e).not.toContain("Heading");
    expect(e).toStartWith("First paragraph with & entities and <b>tags</b>.");
    expect(e.length).toBeLessThanOrEqual(61);
    expect(e).toEndWith("…");
    expect(excerptOf(renderMarkdown("Read [the docs](https://x.org).\n\nNext"))).toBe("Read the docs. Next");
  });

  test("comments are plain text with paragraphs, line breaks and safe links", () => {
    expect(renderCommentText("a <b>\nb\n\nc http://x.org/y?z=1&w=2, end")).toBe(
      '<p>a &lt;b&gt;<br>b</p><p>c <a href="http://x.org/y?z=1&amp;w=2" rel="nofollow ugc noopener">http://x.org/y?z=1&amp;w=2</a>, end</p>',
    );
    expect(renderCommentText('javascript:alert(1) "quoted"')).toBe("<p>javascript:alert(1) &quot;quoted&quot;</p>");
  });
});

describe("code, footnotes and heading anchors", () => {
  test("a fenced ts block is highlighted on the server into spans with hljs classes, no inline styles", () => {
    const html = renderMarkdown("```ts\nfunction add(a: number): number {\n  return a + 1; // one more\n}\n```");
    expect(html).toStartWith(
      '<pre><code class="language-ts"><span class="hljs-keyword">function</span> <span class="hljs-title function_">add</span>',
    );
    expect(html).toContain('<span class="hljs-comment">// one more</span>');
    expect(html).not.toContain("style=");
    // Only the code's own text is in it, escaped.
    expect(html.replace(/<[^>]+>/g, "")).toBe("function add(a: number): number {\n  return a + 1; // one more\n}\n\n");
  });

  test("common languages are known by their usual short names too", () => {
    const samples: [string, string, string][] = [
      ["sh", "if true; then echo hi; fi", '<span class="hljs-keyword">if</span>'],
      ["py", "def f(): return None", '<span class="hljs-keyword">def</span>'],
      ["yml", "key: value", '<span class="hljs-attr">key:</span>'],
      ["js", "const x = 1", '<span class="hljs-keyword">const</span>'],
      ["SQL", "SELECT 1", '<span class="hljs-keyword">SELECT</span>'],
    ];
    for (const [lang, code, span] of samples) expect(renderMarkdown(`\`\`\`${lang}\n${code}\n\`\`\``)).toContain(span);
  });

  test("code in an unknown language, or none, is escaped plain text", () => {
    expect(renderMarkdown("```nosuchlang\nif (a < b && c) { <b>x</b> }\n```")).toBe(
      '<pre><code class="language-nosuchlang">if (a &lt; b &amp;&amp; c) { &lt;b&gt;x&lt;/b&gt; }\n</code></pre>\n',
    );
    expect(renderMarkdown("```\n<i>x</i>\n```")).toBe("<pre><code>&lt;i&gt;x&lt;/i&gt;\n</code></pre>\n");
    for (const lang of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(renderMarkdown(`\`\`\`${lang}\nx\n\`\`\``)).toBe(`<pre><code class="language-${lang}">x\n</code></pre>\n`);
    }
  });

  test("a hostile info string stays inert: no attribute breaks out, no class is kept", () => {
    const html = renderMarkdown('```"><script>alert(1)</script>\nx\n```\n\n```ts" onmouseover="alert(1)\ny\n```');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("onmouseover");
    expect(html).toBe("<pre><code>x\n</code></pre>\n<pre><code>y\n</code></pre>\n");
  });

  test("footnotes link to their note and back, numbered in order", () => {
    const html = renderMarkdown("One[^a] and two[^b], one again[^a].\n\n[^a]: First *note*.\n[^b]: Second.");
    expect(html).toContain('<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>');
    expect(html).toContain('<sup class="footnote-ref"><a href="#fn2" id="fnref2">[2]</a></sup>');
    expect(html).toContain('<a href="#fn1" id="fnref1:1">[1:1]</a>');
    expect(html).toContain('<section class="footnotes">');
    expect(html).toContain(
      '<li id="fn1" class="footnote-item"><p>First <em>note</em>. <a href="#fnref1" class="footnote-backref">↩︎</a> <a href="#fnref1:1" class="footnote-backref">↩︎</a></p>',
    );
    expect(html).toContain(
      '<li id="fn2" class="footnote-item"><p>Second. <a href="#fnref2" class="footnote-backref">↩︎</a></p>',
    );
    // The excerpt is the prose, without the note numbers or the notes.
    expect(excerptOf(html)).toBe("One and two, one again.");
  });

  test("a footnote label or text with HTML stays text", () => {
    const html = renderMarkdown(
      "See[^<b>x</b>] and[^<svg/onload=alert(1)>].\n\n[^<b>x</b>]: A <img src=x onerror=alert(1)> note.\n[^<svg/onload=alert(1)>]: Two.",
    );
    expect(html).toContain('<a href="#fn1" id="fnref1">[1]</a>');
    expect(html).toContain('<a href="#fn2" id="fnref2">[2]</a>');
    expect(html).toContain("A &lt;img src=x onerror=alert(1)&gt; note.");
    expect(html).not.toMatch(/<(b|img|svg)\b/);
  });

  test("h2–h6 get an id in the h- namespace and a small # link to it; the h1 is the page's title and gets none", () => {
    const html = renderMarkdown(
      "# Big\n\n## Getting started\n\n### Getting started\n\n## Comments\n\n## Ελληνικά 2\n\n## ***",
    );
    expect(html).toContain("<h1>Big</h1>");
    expect(html).toContain(
      '<h2 id="h-getting-started">Getting started <a class="header-anchor" href="#h-getting-started" aria-hidden="true" tabindex="-1">#</a></h2>',
    );
    expect(html).toContain('<h3 id="h-getting-started-1">');
    // "Comments" cannot take WriteKit's own id="comments" on the post page.
    expect(html).toContain('<h2 id="h-comments">');
    expect(html).toContain('<h2 id="h-ελληνικά-2">');
    expect(html).toContain('<h2 id="h-section">');
    expect(headingId("  Ünïcode & Spaces!  ")).toBe("h-ünïcode-spaces");
  });

  test("a heading with HTML in it stays text, and its id is only letters, digits and hyphens", () => {
    const html = renderMarkdown('## Hello <img src=x onerror=alert(1)> "quoted"');
    expect(html).toBe(
      '<h2 id="h-hello-img-src-x-onerror-alert-1-quoted">Hello &lt;img src=x onerror=alert(1)&gt; “quoted” <a class="header-anchor" href="#h-hello-img-src-x-onerror-alert-1-quoted" aria-hidden="true" tabindex="-1">#</a></h2>\n',
    );
  });

  test("the sanitizer keeps exactly what the renderer writes: ids in its namespaces, hljs classes, the anchor's attributes", () => {
    // Links can only carry what the renderer gives them: an author's [text](#x) gets no id, class or aria attribute.
    const html = renderMarkdown("[jump](#comments) and [x](#fn1)");
    expect(html).toBe('<p><a href="#comments">jump</a> and <a href="#fn1">x</a></p>\n');
  });
});

describe("images", () => {
  test("an image of the blog's media gets its width and height; every image after the first loads lazily", () => {
    const sizes = new Map([["/media/a.png", { width: 640, height: 480 }]]);
    const html = renderMarkdown(
      "![first](/media/a.png)\n\n![second](/media/a.png) ![elsewhere](https://example.com/x.jpg)",
      { imageSize: (src) => sizes.get(src) ?? null },
    );
    expect(html).toBe(
      '<p><img src="/media/a.png" alt="first" width="640" height="480" /></p>\n' +
        '<p><img src="/media/a.png" alt="second" width="640" height="480" loading="lazy" /> <img src="https://example.com/x.jpg" alt="elsewhere" loading="lazy" /></p>\n',
    );
  });

  test("a size that is not a plain number never reaches the page", () => {
    const html = renderMarkdown("![a](/media/a.png)", {
      imageSize: () => ({ width: '1" onerror="alert(1)' as never, height: -5 }),
    });
    expect(html).toBe('<p><img src="/media/a.png" alt="a" /></p>\n');
  });
});
