import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MEDIA_LIMITS } from "../../src/blog/media.ts";
import { cli, makeBlog, makeServer, request, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes: a few hundred ms each, seconds on a loaded
// machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

const MEDIA = join(import.meta.dir, "..", "fixtures", "media");
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
const fixture = (name: string) => new Uint8Array(readFileSync(join(MEDIA, name)));

const POST = `---
title: With images
---
![A photo](/assets/photo.png "The title")

![Alpha]({{ site.baseurl }}/assets/sub%20dir/alpha.webp) and <img src="/images/hugo.jpg" alt="From Hugo's static" width="40">

![Again](/assets/photo.png?v=2) ![Ref][pic]

<img src="/assets/photo.png" alt="x](javascript:alert(1)) <b>">

![Missing](/assets/missing.png)
![Escape](/../../../etc/passwd)
![Remote](https://example.com/a.png)
![Svg](/assets/logo.svg)
![Fake](/assets/fake.png)
![Huge](/assets/huge.png)
![Linked out](/assets/linked.png)
![Pipe](/assets/pipe.png)

\`\`\`md
![In code](/assets/photo.png)
\`\`\`

Inline: \`![inline code](/assets/photo.png)\`

[pic]: /assets/photo.png
`;

const BUNDLE = `---
title: A Hugo bundle
---
![Cover](cover.jpg)

{{< figure src="cover.jpg" caption="A caption" >}}
`;

/** A Jekyll-and-Hugo-like site with real images, hostile files and a link leading out of it. */
function site(): { root: string; outside: string } {
  const root = join(tempDir("writekit-site-"), "site");
  const outside = tempDir("writekit-outside-");
  mkdirSync(join(root, "_posts"), { recursive: true });
  mkdirSync(join(root, "assets", "sub dir"), { recursive: true });
  mkdirSync(join(root, "static", "images"), { recursive: true });
  mkdirSync(join(root, "content", "posts", "bundle"), { recursive: true });
  writeFileSync(join(root, "_posts", "2024-03-01-with-images.md"), POST);
  writeFileSync(join(root, "content", "posts", "bundle", "index.md"), BUNDLE);
  copyFileSync(join(MEDIA, "photo.png"), join(root, "assets", "photo.png"));
  copyFileSync(join(MEDIA, "alpha.webp"), join(root, "assets", "sub dir", "alpha.webp"));
  copyFileSync(join(MEDIA, "photo.jpg"), join(root, "static", "images", "hugo.jpg"));
  copyFileSync(join(MEDIA, "progressive.jpg"), join(root, "content", "posts", "bundle", "cover.jpg"));
  writeFileSync(join(root, "assets", "logo.svg"), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
  writeFileSync(join(root, "assets", "fake.png"), "<html><script>alert(1)</script></html>");
  const huge = new Uint8Array(MEDIA_LIMITS.fileBytes + 2 * 1024 * 1024);
  huge.set(fixture("photo.png"));
  writeFileSync(join(root, "assets", "huge.png"), huge);
  copyFileSync(join(MEDIA, "photo.jpg"), join(outside, "secret.jpg"));
  symlinkSync(join(outside, "secret.jpg"), join(root, "assets", "linked.png"));
  const fifo = Bun.spawnSync(["mkfifo", join(root, "assets", "pipe.png")]);
  if (fifo.exitCode !== 0) throw new Error(`mkfifo failed: ${fifo.stderr}`);
  return { root, outside };
}

function readBlog(data: string) {
  const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
  const media = db.query("SELECT sha256, type, alt FROM media ORDER BY rowid").all() as {
    sha256: string;
    type: string;
    alt: string;
  }[];
  const body = (slug: string) =>
    (db.query("SELECT body FROM posts WHERE slug = ?").get(slug) as { body: string } | null)?.body;
  const result = { media, withImages: body("with-images"), bundle: body("bundle") };
  db.close();
  return result;
}

describe("writekit import NAME PATH --site-root DIR (a post's local images)", () => {
  test("the images a post shows are stored in the blog and linked there; each one that is not is named on the file's line", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { root } = site();
    const r = await cli([
      "import",
      "alice",
      join(root, "_posts"),
      join(root, "content"),
      "--site-root",
      root,
      "--data",
      data,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0); // an image not brought does not fail its post
    const line = r.stdout.split("\n").find((l) => l.includes("2024-03-01-with-images.md"))!;
    expect(line).toStartWith("imported ");
    for (const note of [
      "3 images brought into the blog",
      `image "/assets/missing.png" not found (looked for ${join(root, "assets/missing.png")} and ${join(root, "static/assets/missing.png")}); its link is kept`,
      `image "/../../../etc/passwd" not brought: it is outside the site's folder`,
      `image "/assets/logo.svg" not brought: it is an SVG image (SVG can carry scripts), not a JPEG, PNG, GIF, WebP or AVIF image`,
      `image "/assets/fake.png" not brought: it is `,
      `image "/assets/huge.png" not brought: it is 12.0 MiB; an image may be at most 10.0 MiB`,
      `image "/assets/linked.png" not brought: it is a link to `,
      `image "/assets/pipe.png" not brought: it is a named pipe (FIFO), not a regular file`,
    ])
      expect(line).toContain(note);
    expect(line).not.toContain("example.com"); // a remote image is left alone, silently
    expect(r.stdout.split("\n").find((l) => l.includes("bundle/index.md"))).toEndWith(
      "→ /bundle (1 image brought into the blog)",
    );

    const { media, withImages, bundle } = readBlog(data);
    const photo = sha256(fixture("photo.png"));
    const alpha = sha256(fixture("alpha.webp"));
    const hugo = sha256(fixture("photo.jpg"));
    const cover = sha256(fixture("progressive.jpg"));
    // Each file once, with the alt text of its first use; nothing from outside the site.
    expect(media).toEqual([
      { sha256: photo, type: "image/png", alt: "A photo" },
      { sha256: alpha, type: "image/webp", alt: "Alpha" },
      { sha256: hugo, type: "image/jpeg", alt: "From Hugo's static" },
      { sha256: cover, type: "image/jpeg", alt: "Cover" },
    ]);
    expect(withImages).toContain(`![A photo](/media/${photo}.png "The title")`);
    expect(withImages).toContain(`![Alpha](/media/${alpha}.webp) and ![From Hugo's static](/media/${hugo}.jpg)`);
    expect(withImages).toContain(`![Again](/media/${photo}.png) ![Ref][pic]`);
    expect(withImages).toContain(`[pic]: /media/${photo}.png\n`);
    expect(withImages).toContain(`![x\\](javascript:alert(1)) <b>](/media/${photo}.png)`);
    expect(withImages).toContain("![Missing](/assets/missing.png)"); // kept as it was
    expect(withImages).toContain("```md\n![In code](/assets/photo.png)\n```"); // code shows its text as written
    expect(withImages).toContain("`![inline code](/assets/photo.png)`");
    expect(bundle).toBe(`![Cover](/media/${cover}.jpg)\n\n![A caption](/media/${cover}.jpg)\n*A caption*\n`);

    // A reader sees them: sized, served from the blog, and the hostile alt is only text.
    const { handler, services } = makeServer(data);
    try {
      const page = await (await request(handler, "alice.localhost", "/with-images")).text();
      expect(page).toMatch(
        new RegExp(`<img src="/media/${photo}.png" alt="A photo" title="The title" width="\\d+" height="\\d+"`),
      );
      // The alt an <img> tag carried is the image's alt text and nothing else: no link, no tag.
      expect(page).toContain(`alt="x](javascript:alert(1)) &lt;b&gt;"`);
      expect(page).not.toMatch(/href="javascript/);
      expect(page).not.toContain("<b>");
      const image = await request(handler, "alice.localhost", `/media/${hugo}.jpg`);
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/jpeg");
      expect(sha256(new Uint8Array(await image.arrayBuffer()))).toBe(hugo);
    } finally {
      services.pool.closeAll();
    }

    // The same import again changes nothing and stores nothing twice.
    const again = await cli([
      "import",
      "alice",
      join(root, "_posts"),
      join(root, "content"),
      "--site-root",
      root,
      "--data",
      data,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("alice: 0 imported, 0 updated, 2 unchanged");
    expect(again.stdout).not.toContain("brought into the blog");
    expect(readBlog(data).media.length).toBe(4);
  });

  test("without --site-root a path from the root is named with the option to give; relative images still come", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { root } = site();
    const r = await cli(["import", "alice", join(root, "_posts"), join(root, "content"), "--data", data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `image "/assets/photo.png" not brought: it is a path from the site's root; give the site's folder with --site-root DIR`,
    );
    expect(r.stdout).toContain("→ /bundle (1 image brought into the blog)");
    expect(readBlog(data).media.length).toBe(1);
  });

  test("a post that fails to save leaves none of its images behind", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { root } = site();
    writeFileSync(
      join(root, "_posts", "2024-03-02-too-long.md"),
      `---\ntitle: "${"x".repeat(301)}"\n---\n![A](/assets/photo.png)\n`,
    );
    const r = await cli([
      "import",
      "alice",
      join(root, "_posts", "2024-03-02-too-long.md"),
      "--site-root",
      root,
      "--data",
      data,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The title is 301 characters long");
    expect(readBlog(data).media).toEqual([]);
  });

  test("--site-root must be a folder that exists, and is refused with a .db file", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { root } = site();
    const missing = await cli([
      "import",
      "alice",
      join(root, "_posts"),
      "--site-root",
      join(root, "nope"),
      "--data",
      data,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--site-root ${join(root, "nope")}: no such file or folder`);
    const file = await cli([
      "import",
      "alice",
      join(root, "_posts"),
      "--site-root",
      join(root, "assets", "photo.png"),
      "--data",
      data,
    ]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain("is a file; give the folder the site is built from");
    const db = await cli(["import", "bob", join(root, "x.db"), "--site-root", root, "--data", data]);
    expect(db.code).toBe(2);
    expect(db.stderr).toContain("--site-root is for Markdown files");
  });
});
