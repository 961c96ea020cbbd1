import { describe, expect, test } from "bun:test";
import { localImages, rewriteImages, sitePath } from "../../src/blog/importimages.ts";

describe("the local images of an imported post", () => {
  test("a destination names a path of the old site, or nothing when it is not one of its files", () => {
    expect(sitePath("/assets/a.png")).toBe("/assets/a.png");
    expect(sitePath("<img/my photo.png>")).toBe("img/my photo.png");
    expect(sitePath("/assets/my%20photo.png?v=3#top")).toBe("/assets/my photo.png");
    expect(sitePath("{{ site.baseurl }}/assets/a.png")).toBe("/assets/a.png");
    expect(sitePath("{{site.url}}{{site.baseurl}}/assets/a.png")).toBe("/assets/a.png");
    expect(sitePath(`{{ "/assets/a.png" | relative_url }}`)).toBe("/assets/a.png");
    expect(sitePath("{{ page.image }}")).toBeNull(); // a value only the old site knew
    for (const other of [
      "https://example.com/a.png",
      "//cdn.example.com/a.png",
      "data:image/png;base64,AAAA",
      "javascript:alert(1)",
      "#top",
      "",
      "/a%zz.png",
      "/a%00.png",
    ]) {
      expect(sitePath(other)).toBeNull();
    }
    expect(sitePath(`/media/${"a".repeat(64)}.png`)).toBeNull(); // already the blog's
  });

  test("found in images, reference definitions images use, <img> tags and Hugo figures; never in code", () => {
    const text = [
      "![One](/a.png) [![Linked](b(1).png)](/big.png) ![Two][ref] ![Three][]",
      '[ref]: </c d.png> "title"',
      "[Three]: three.png",
      "[unused]: unused.png",
      '<img alt=\'Four\' src="four.jpg"> {{< figure src="/five.webp" title="Five" >}}',
      "",
      "    ![Indented](/code.png)",
      "",
      "~~~",
      "![Fenced](/code.png)",
      "~~~",
      '`![Inline](/code.png)` and ``<img src="/code.png">``',
    ].join("\n");
    expect(localImages(text)).toEqual([
      { path: "/a.png", alt: "One" },
      { path: "b(1).png", alt: "Linked" },
      { path: "/c d.png", alt: "Two" },
      { path: "three.png", alt: "Three" },
      { path: "four.jpg", alt: "Four" },
      { path: "/five.webp", alt: "Five" },
    ]);
  });

  test("only the images stored are rewritten; an <img> becomes a Markdown image with its alt escaped", () => {
    const text = '![One](/a.png "T") ![Gone](/gone.png) <img src=/a.png alt="a ] b">\n\n```\n![One](/a.png)\n```\n';
    expect(rewriteImages(text, new Map([["/a.png", "/media/x.png"]]))).toBe(
      '![One](/media/x.png "T") ![Gone](/gone.png) ![a \\] b](/media/x.png)\n\n```\n![One](/a.png)\n```\n',
    );
    expect(rewriteImages(text, new Map())).toBe(text);
  });
});
