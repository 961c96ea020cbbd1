import { describe, expect, test } from "bun:test";
import { createPost, getPost } from "../../../src/blog/posts.ts";
import { fixture, HOSTILE, sha256 } from "../../media-files.ts";
import { signedInBrowser } from "./admin.ts";

const png = fixture("photo.png");
const jpg = fixture("photo.jpg");

/** The editor's form as its "Upload image" button sends it: multipart, every field, the file. */
function editorForm(
  csrf: string,
  file: Uint8Array<ArrayBuffer> | null,
  fields: Record<string, string>,
  alt = "",
): FormData {
  const form = new FormData();
  form.set("csrf", csrf);
  for (const [k, v] of Object.entries({
    title: "",
    body: "",
    slug: "",
    tags: "",
    published_at: "",
    kind: "post",
    action: "upload",
    ...fields,
  }))
    form.set(k, v);
  form.set("image", new File([file ?? new Uint8Array(0)], file ? "photo" : "", { type: "application/octet-stream" }));
  form.set("alt", alt);
  return form;
}

describe("uploading from the editor", () => {
  test("the editor has an Image and Alt text, and an Upload image button that posts the whole form as multipart", async () => {
    const { b, db, now } = await signedInBrowser();
    const html = await (await b.get("/admin/posts/new")).text();
    expect(html).toContain('<label for="image">Image</label>');
    expect(html).toContain('<label for="alt">Alt text</label>');
    expect(html).toContain(
      'formaction="/admin/posts/new/upload" formenctype="multipart/form-data">Upload image</button>',
    );
    const post = createPost(db(), { title: "Existing", body: "x", status: "draft" }, now());
    expect(await (await b.get(`/admin/posts/${post.id}`)).text()).toContain(
      `formaction="/admin/posts/${post.id}/upload"`,
    );
  });

  test("the image's Markdown is added to the body that comes back, everything typed is kept, and nothing is saved", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const r = await b.postForm(
      "/admin/posts/new/upload",
      editorForm(
        csrf,
        png,
        {
          title: "With a picture",
          body: 'First paragraph.\r\n\r\n{"looks": "like json"}',
          tags: "art",
          slug: "with-picture",
        },
        "A gradient",
      ),
    );
    expect(r.status).toBe(200);
    const html = await r.text();
    const md = `![A gradient](/media/${sha256(png)}.png)`;
    expect(html).toContain("Image uploaded. Its Markdown is added at the end of the Body");
    expect(html).toContain(`First paragraph.\n\n{&quot;looks&quot;: &quot;like json&quot;}\n\n${md}\n</textarea>`);
    expect(html).toContain('name="title" value="With a picture"');
    expect(html).toContain('name="slug" value="with-picture"');
    expect(html).toContain('name="tags" value="art"');
    expect(html).toContain('id="alt" name="alt" value=""');
    expect(db().query("SELECT count(*) AS n FROM posts").get()).toEqual({ n: 0 });
    expect(db().query("SELECT alt FROM media").all()).toEqual([{ alt: "A gradient" }]);
  });

  test("on an existing post, the upload keeps the post as saved until the author saves", async () => {
    const { b, csrf, db, now } = await signedInBrowser();
    const post = createPost(db(), { title: "Saved", body: "Saved body", status: "draft" }, now());
    const r = await b.postForm(
      `/admin/posts/${post.id}/upload`,
      editorForm(csrf, jpg, { title: "Edited", body: "Edited body", updated_at: post.updated_at }),
    );
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain(`Edited body\n\n![](/media/${sha256(jpg)}.jpg)\n</textarea>`);
    expect(html).toContain(`name="updated_at" value="${post.updated_at}"`);
    expect(getPost(db(), post.id)!.body).toBe("Saved body");
  });

  test("a refused upload comes back as the editor with the message beside Image and the text kept", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const r = await b.postForm(
      "/admin/posts/new/upload",
      editorForm(csrf, HOSTILE.svgWithScript, { title: "Keep me", body: "My words" }, "logo"),
    );
    expect(r.status).toBe(415);
    const html = await r.text();
    expect(html).toContain('<p class="field-error" id="image-error">This file is an SVG image');
    expect(html).toContain(">My words</textarea>");
    expect(html).toContain('name="alt" value="logo"');
    expect(db().query("SELECT count(*) AS n FROM media").get()).toEqual({ n: 0 });
  });
});
