import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ImportError, isMarkdownPath, parseDate, parseMarkdownPost, reasonToSkip } from "../../src/blog/import.ts";
import { cleanLiquid } from "../../src/blog/liquid.ts";
import { renderMarkdown } from "../../src/blog/markdown.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "import");
const fixture = (path: string) => parseMarkdownPost(readFileSync(join(FIXTURES, path), "utf8"), path);
const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
};

describe("Jekyll files", () => {
  test("the date and slug come from the file name when the front matter has none", () => {
    const { post } = fixture("jekyll/_posts/2024-03-01-liquid-and-ruby.md");
    expect(post.slug).toBe("liquid-and-ruby");
    expect(post.publishedAt).toBe("2024-03-01T00:00:00Z");
    expect(post.status).toBe("published");
    expect(post.tags).toEqual(["ruby", "Jekyll"]);
    expect(post.title).toBe("Liquid & Ruby on {{ site.title }}");
  });

  test("a front-matter date with an offset wins over the file name, and tags and categories merge", () => {
    const { post } = fixture("jekyll/_posts/2023-12-24-christmas_notes.markdown");
    expect(post.publishedAt).toBe("2023-12-24T09:00:00Z");
    expect(post.slug).toBe("christmas-notes");
    expect(post.tags).toEqual(["family", "food", "holidays"]);
  });

  test("published: false and the _drafts folder make drafts", () => {
    expect(fixture("jekyll/_posts/2024-02-10-unpublished.md").post.status).toBe("draft");
    const draft = fixture("jekyll/_drafts/unfinished-thoughts.md").post;
    expect(draft.status).toBe("draft");
    expect(draft.publishedAt).toBeNull();
  });

  test("Liquid becomes a page that renders: highlight → fenced code, raw kept, include and comment removed", () => {
    const { post, notes } = fixture("jekyll/_posts/2024-03-01-liquid-and-ruby.md");
    const html = renderMarkdown(post.body);
    const code = /<pre><code class="language-ruby">([\s\S]*?)<\/code><\/pre>/.exec(html)![1];
    expect(code).toContain('<span class="hljs-keyword">def</span>');
    expect(code.replace(/<[^>]+>/g, "")).toBe('def greet(name)\n  puts "Hello, #{name}" if name.length &lt; 10\nend\n');
    expect(html).toContain("Templates look like {{ this }} and {% if that %}.");
    expect(html).toContain("Welcome to {{ site.title }}, written by {{ page.author }}.");
    expect(html).toContain('<a href="/christmas-notes">the older post</a>');
    expect(post.body).not.toContain("include");
    expect(post.body).not.toContain("never reached the page");
    expect(post.body).not.toContain("{% highlight");
    expect(notes).toEqual(["removed Liquid {% include %}"]);
  });

  test("HTML in the body comes out as text", () => {
    const html = renderMarkdown(fixture("jekyll/_posts/2024-03-01-liquid-and-ruby.md").post.body);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
  });
});

describe("Hugo files", () => {
  test("TOML front matter: date-time with offset, draft = true, categories merged into tags", () => {
    const { post } = fixture("hugo/content/posts/toml-post.md");
    expect(post).toMatchObject({
      title: "A TOML post",
      slug: "toml-post",
      status: "draft",
      publishedAt: "2024-01-15T06:30:00Z",
    });
    expect(post.tags).toEqual(["go", "Programming", "Static Sites"]);
  });

  test("the highlight shortcode becomes fenced code, and Liquid is left alone in Hugo's TOML files", () => {
    const { post } = fixture("hugo/content/posts/toml-post.md");
    expect(renderMarkdown(post.body)).toContain(
      '<pre><code class="language-go">fmt.Println(<span class="hljs-string">"hi"</span>)',
    );
    expect(post.body).toContain("{% raw %} stays");
  });

  test("YAML front matter with a slug, categories and draft: false", () => {
    const { post } = fixture("hugo/content/posts/yaml-post.md");
    expect(post).toMatchObject({
      title: "Hugo with YAML",
      slug: "custom-yaml-slug",
      status: "published",
      publishedAt: "2024-02-20T12:00:00Z",
    });
    expect(post.tags).toEqual(["hugo", "notes", "Notes"]);
  });

  test("a page bundle's index.md is named by its folder; a section's _index.md is not a post", () => {
    expect(fixture("hugo/content/posts/bundled-post/index.md").post.slug).toBe("bundled-post");
    expect(reasonToSkip("content/posts/_index.md")).toContain("section page");
    expect(reasonToSkip("content/posts/index.md")).toBeNull();
  });
});

describe("Eleventy and plain files", () => {
  test("a YAML tags list and a date without a time", () => {
    const { post } = fixture("eleventy/posts/2024/deep/eleventy-post.md");
    expect(post).toMatchObject({
      title: "Eleventy in a deep folder",
      slug: "eleventy-post",
      publishedAt: "2024-05-05T00:00:00Z",
      tags: ["eleventy", "JavaScript"],
    });
  });

  test("a future date is published with that date (the blog shows it when the time comes)", () => {
    expect(fixture("eleventy/posts/future-post.md").post).toMatchObject({
      status: "published",
      publishedAt: "2999-01-01T00:00:00Z",
      tags: ["eleventy"],
    });
  });

  test("without front matter the first # heading is the title and leaves the body", () => {
    const { post } = fixture("misc/no-front-matter.md");
    expect(post.title).toBe("Just a heading");
    expect(post.body).toBe("And some text without any front matter.\n");
    expect(post.slug).toBe("no-front-matter");
  });

  test("without front matter or heading the title comes from the file name", () => {
    expect(fixture("misc/plain_notes.md").post).toMatchObject({ title: "Plain notes", slug: "plain-notes" });
  });

  test("an undated published post takes the file's modification time; Eleventy's 'Last Modified' too", () => {
    const modifiedAt = new Date("2022-06-01T12:00:00Z");
    expect(parseMarkdownPost("Hello\n", "hello.md", { modifiedAt }).post.publishedAt).toBe("2022-06-01T12:00:00Z");
    expect(parseMarkdownPost("---\ndate: Last Modified\n---\nHi\n", "a.md", { modifiedAt }).post.publishedAt).toBe(
      "2022-06-01T12:00:00Z",
    );
  });

  test("Windows line endings and a byte-order mark are understood", () => {
    const { post } = parseMarkdownPost(
      "\uFEFF---\r\ntitle: From Windows\r\ntags: [a]\r\n---\r\nLine one\r\nLine two\r\n",
      "win.md",
    );
    expect(post).toMatchObject({ title: "From Windows", tags: ["a"], body: "Line one\nLine two\n" });
  });
});

describe("bad files are refused with a message for a person", () => {
  test("broken YAML", () => {
    const e = errorOf(() => fixture("misc/broken-front-matter.md"));
    expect(e).toBeInstanceOf(ImportError);
    expect(e.message).toStartWith("its YAML front matter cannot be read");
  });

  test("broken TOML", () => {
    const e = errorOf(() => parseMarkdownPost("+++\ntitle = \n+++\nx", "a.md"));
    expect(e).toBeInstanceOf(ImportError);
    expect(e.message).toContain("TOML front matter cannot be read");
  });

  test("front matter that is never closed", () => {
    expect(errorOf(() => parseMarkdownPost("---\ntitle: x\n\nbody", "a.md")).message).toContain("never closed");
  });

  test("front matter that is not a set of fields", () => {
    expect(errorOf(() => parseMarkdownPost("---\n- a\n- b\n---\nx", "a.md")).message).toContain("not a list of fields");
  });

  test("a title that is a list, tags that are objects, a draft flag that is not a yes/no", () => {
    expect(errorOf(() => parseMarkdownPost("---\ntitle: [a, b]\n---\n", "a.md")).message).toContain(
      '"title" is a list',
    );
    expect(errorOf(() => parseMarkdownPost("---\ntags: [{a: 1}]\n---\n", "a.md")).message).toContain('"tags" list');
    expect(errorOf(() => parseMarkdownPost("---\ndraft: maybe\n---\n", "a.md")).message).toContain(
      '"draft" is "maybe"',
    );
  });

  test("dates that are not dates", () => {
    expect(errorOf(() => parseMarkdownPost("---\ndate: next tuesday\n---\n", "a.md")).message).toContain(
      '"next tuesday" is not a date',
    );
    expect(errorOf(() => parseMarkdownPost("---\ndate: 2024-02-30\n---\n", "a.md")).message).toContain(
      "not a real date",
    );
    expect(errorOf(() => parseMarkdownPost("x", "2024-13-01-bad-month.md")).message).toContain("date in the file name");
  });
});

describe("real archives: every date Jekyll (Ruby's Time.parse) accepts", () => {
  const forms: [string, string][] = [
    ["2014-03-03 15:30:00 -0500", "2014-03-03T20:30:00Z"],
    ["2014-03-03T15:30:00Z", "2014-03-03T15:30:00Z"],
    ["2014-03-03T15:30:00.123456+05:30", "2014-03-03T10:00:00Z"],
    ["2014-03-03 15:30", "2014-03-03T15:30:00Z"],
    ["2014-03-03 15:30:00 CEST", "2014-03-03T13:30:00Z"],
    ["Mon, 3 Mar 2014 15:30:00 +0100", "2014-03-03T14:30:00Z"],
    ["Tue, 04 Mar 2014 08:00:00 GMT", "2014-03-04T08:00:00Z"],
    ["Mon Mar  3 15:30:00 UTC 2014", "2014-03-03T15:30:00Z"],
    ["March 3, 2014", "2014-03-03T00:00:00Z"],
    ["Mar. 3 2014", "2014-03-03T00:00:00Z"],
    ["Monday, March 3rd, 2014 at 3:30 PM EST", "2014-03-03T20:30:00Z"],
    ["3 Mar 2014", "2014-03-03T00:00:00Z"],
    ["3rd of March 2014", "2014-03-03T00:00:00Z"],
    ["3 Mar 14", "2014-03-03T00:00:00Z"],
    ["March 2014", "2014-03-01T00:00:00Z"],
    ["2014/03/03", "2014-03-03T00:00:00Z"],
    ["2014/3/3 9:05 pm", "2014-03-03T21:05:00Z"],
    ["2014.03.03", "2014-03-03T00:00:00Z"],
    ["03/04/2014", "2014-04-03T00:00:00Z"], // day first, as Ruby reads it
    ["20140303", "2014-03-03T00:00:00Z"],
  ];
  test.each(forms)("%p", (text, iso) => {
    expect(parseDate(text, "date")).toBe(iso);
  });

  test("each form imports from YAML front matter, quoted or not (YAML reads 20140303 as a number)", () => {
    for (const [text, iso] of forms) {
      expect(parseMarkdownPost(`---\ndate: ${text}\n---\nx\n`, "a.md").post.publishedAt).toBe(iso);
      expect(parseMarkdownPost(`---\ndate: "${text}"\n---\nx\n`, "a.md").post.publishedAt).toBe(iso);
    }
  });

  test("words beside the date are ignored, as Ruby ignores them, and noted on the file's line", () => {
    const { post, notes } = parseMarkdownPost("---\ndate: 2014-03-03 15:30 at home\n---\nx\n", "a.md");
    expect(post.publishedAt).toBe("2014-03-03T15:30:00Z");
    expect(notes).toEqual(['ignored "home" in its date']);
  });

  test("a date without a year, or with an impossible time or zone, is still refused", () => {
    for (const text of ["March 3", "3/4", "2014-03-03 25:00", "2014-03-03 15:30 +2500", "13/13/2014", "0099-01-01"]) {
      expect(() => parseDate(text, "date")).toThrow(ImportError);
    }
  });

  test("front matter that cannot be read, in a file whose name has a date: imported with that date, as Jekyll published it, and said", () => {
    const broken = "---\ntitle: Ruby: a love story\ntags: [ruby\n---\nSome text\n";
    const { post, notes } = parseMarkdownPost(broken, "_posts/2014-03-03-ruby-love.md");
    expect(post).toMatchObject({
      title: "Ruby love",
      slug: "ruby-love",
      publishedAt: "2014-03-03T00:00:00Z",
      status: "published",
      body: "Some text\n",
      tags: [],
    });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^its YAML front matter cannot be read \(.+\): imported without it, dated by its file name$/,
    );
    // Never closed: Jekyll saw no front matter and published the whole file.
    const unclosed = parseMarkdownPost("---\ntitle: x\n\nbody", "2014-03-04-open.md");
    expect(unclosed.post.publishedAt).toBe("2014-03-04T00:00:00Z");
    expect(unclosed.post.body).toBe("---\ntitle: x\n\nbody\n");
    expect(unclosed.notes[0]).toBe(
      'the front matter opened by "---" on line 1 is never closed: imported without it, dated by its file name',
    );
    const toml = parseMarkdownPost("+++\ntitle = \n+++\nHugo text\n", "2014-03-05-hugo.md");
    expect(toml.post.publishedAt).toBe("2014-03-05T00:00:00Z");
    expect(toml.notes[0]).toStartWith("its TOML front matter cannot be read");
  });
});

describe("details", () => {
  test("dates in the forms Jekyll, Hugo and Eleventy write", () => {
    expect(parseDate("2024-03-01", "date")).toBe("2024-03-01T00:00:00Z");
    expect(parseDate("2024-03-01 10:00:00 +0100", "date")).toBe("2024-03-01T09:00:00Z");
    expect(parseDate("2024-03-01 10:00", "date")).toBe("2024-03-01T10:00:00Z");
    expect(parseDate("2024-03-01T10:00:00.123-05:30", "date")).toBe("2024-03-01T15:30:00Z");
    expect(parseDate(new Date("2024-03-01T10:00:00Z"), "date")).toBe("2024-03-01T10:00:00Z");
    const toml = Bun.TOML.parse("a = 2024-03-01T10:00:00\nb = 2024-03-01\nc = 2024-03-01T10:00:00-01:00") as Record<
      string,
      unknown
    >;
    expect([parseDate(toml.a, "a"), parseDate(toml.b, "b"), parseDate(toml.c, "c")]).toEqual([
      "2024-03-01T10:00:00Z",
      "2024-03-01T00:00:00Z",
      "2024-03-01T11:00:00Z",
    ]);
  });

  test("a front-matter slug is made URL-safe and noted; a name slugify drops still gets a stable slug", () => {
    const r = parseMarkdownPost("---\nslug: My_Post\n---\nx", "a.md");
    expect(r.post.slug).toBe("my-post");
    expect(r.notes).toEqual(['slug "My_Post" became "my-post"']);
    const a = parseMarkdownPost("---\ntitle: 日本語\n---\nx", "日本語.md").post.slug;
    expect(a).toMatch(/^post-[0-9a-f]{8}$/);
    expect(parseMarkdownPost("---\ntitle: 日本語\n---\nx", "日本語.md").post.slug).toBe(a);
  });

  test("Liquid: whitespace control, unclosed blocks, fences longer than the code's backticks", () => {
    expect(cleanLiquid("{%- highlight js -%}\nlet a = 1\n{%- endhighlight -%}")).toBe("```js\nlet a = 1\n```\n");
    expect(cleanLiquid("{% highlight md %}\n```\ncode\n```\n{% endhighlight %}")).toBe(
      "````md\n```\ncode\n```\n````\n",
    );
    const notes: string[] = [];
    expect(cleanLiquid("a {% raw %}{{ b }}", notes)).toBe("a {{ b }}");
    expect(notes[0]).toContain("has no {% endraw %}");
    expect(cleanLiquid("{% if x %}\nshown\n{% endif %}\n")).toBe("shown\n");
    expect(cleanLiquid("{{ site.url }}/feed.xml")).toBe("{{ site.url }}/feed.xml");
    expect(cleanLiquid("[a]({% link _posts/2024-01-02-Other_Post.md %}) [b]({% link about.md %})")).toBe(
      "[a](/other-post) [b]()",
    );
  });

  test("only .md and .markdown files are Markdown", () => {
    expect(["a.md", "b.MARKDOWN", "c.markdown"].every(isMarkdownPath)).toBe(true);
    expect(["a.mdx", "b.txt", "c.html", "md"].some(isMarkdownPath)).toBe(false);
  });
});
