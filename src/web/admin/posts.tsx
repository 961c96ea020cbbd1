// Writing: the posts list, the editor (new and existing posts and pages, preview, conflicts, an
// image uploaded from it), earlier versions, unpublishing and deleting (each behind a confirmation page).
//
// Longer than most modules: one handler per editor action, each short, sharing the post they
// resolve.
import { Elysia, t } from "elysia";
import { renderMarkdown } from "../../blog/markdown.ts";
import { mediaMarkdown, mediaSizeByUrl } from "../../blog/media.ts";
import {
  ConflictError,
  createPost,
  deletePost,
  getPost,
  listAllPosts,
  parseTags,
  PostError,
  unpublishPost,
  updatePost,
  type Post,
  type PostInput,
} from "../../blog/posts.ts";
import { countRevisions, getRevision, listRevisions, restoreRevision } from "../../blog/revisions.ts";
import { countCommentsOfPost } from "../../blog/moderation.ts";
import { dateToLocalInput, formatDateTime, localInputToDate } from "../../blog/zones.ts";
import { isoTime } from "../../blog/time.ts";
import type { Services } from "../services.ts";
import { authorContext, type Admin } from "./author.tsx";
import { adminPage, adminRedirect, refusal } from "./context.tsx";
import { ConfirmPage } from "./pages/ConfirmPage.tsx";
import { EditorPage, type EditorField, type EditorPageProps, type EditorValues } from "./pages/EditorPage.tsx";
import { PostsPage } from "./pages/PostsPage.tsx";
import { RevisionPage } from "./pages/RevisionPage.tsx";
import { parseForm, storeUpload, uploadFields } from "./upload.ts";

const id = t.String({ maxLength: 20 });
const csrfOnly = t.Object({ csrf: t.Optional(t.String({ maxLength: 100 })) });

// Generous route limits (TypeBox); the precise limits are checked in posts.ts and re-shown beside the field.
const editorBody = t.Object({
  csrf: t.Optional(t.String({ maxLength: 100 })),
  updated_at: t.Optional(t.String({ maxLength: 40 })),
  action: t.Optional(t.String({ maxLength: 20 })),
  title: t.String({ maxLength: 2000 }),
  body: t.String({ maxLength: 600_000 }),
  slug: t.Optional(t.String({ maxLength: 500 })),
  tags: t.Optional(t.String({ maxLength: 5000 })),
  published_at: t.Optional(t.String({ maxLength: 40 })),
  kind: t.Optional(t.String({ maxLength: 10 })),
});
type EditorForm = typeof editorBody.static;
/** The editor's form sent by its "Upload image" button: everything typed, and the image. */
const editorUploadBody = t.Object({ ...editorBody.properties, ...uploadFields });

function parseId(raw: string): number | null {
  return /^[1-9]\d{0,11}$/.test(raw) ? Number(raw) : null;
}

function valuesOf(post: Post, timeZone: string): EditorValues {
  return {
    title: post.title,
    body: post.body,
    slug: post.slug,
    tags: post.tags.join(", "),
    publishedAt: dateToLocalInput(post.published_at, timeZone),
    kind: post.kind,
  };
}

/** What the author typed, as the editor shows it again. */
function valuesFrom(form: EditorForm): EditorValues {
  return {
    title: form.title,
    body: form.body.replace(/\r\n?/g, "\n"),
    slug: (form.slug ?? "").trim(),
    tags: form.tags ?? "",
    publishedAt: (form.published_at ?? "").trim(),
    kind: form.kind === "page" ? "page" : "post",
  };
}

const SAVED: Record<string, string> = {
  draft: "Draft saved.",
  restored: "The earlier version is restored.",
  unpublished: "Unpublished: the post is a draft again and no longer on the blog.",
};

export function postRoutes(services: Services) {
  const missing = (admin: Admin) =>
    refusal(admin.blog, 404, "No such post", "This post does not exist (it may have been deleted).");
  /** The earlier version `:rev` of the post, or null. */
  const revisionOf = (admin: Admin, post: Post, rev: string) => {
    const id = parseId(rev);
    return id === null ? null : getRevision(admin.blog.db, post.id, id);
  };

  const editor = (admin: Admin, props: Omit<EditorPageProps, "chrome" | "timeZone">, status = 200) =>
    adminPage(<EditorPage chrome={admin.chrome} timeZone={admin.blog.settings.time_zone} {...props} />, status);

  /** Handles a submitted editor form for a new post (`post` undefined) or an existing one. */
  const submit = (admin: Admin, form: EditorForm, post?: Post): Response => {
    const zone = admin.blog.settings.time_zone;
    const now = services.now();
    const values = valuesFrom(form);
    const updatedAt = form.updated_at ?? post?.updated_at ?? "";
    const revisions = post ? listRevisions(admin.blog.db, post.id) : [];
    const errors: Partial<Record<EditorField, string>> = {};
    let publishedAt: string | null | undefined;
    if (values.publishedAt === "") publishedAt = post ? undefined : null;
    else if (post && values.publishedAt === dateToLocalInput(post.published_at, zone))
      publishedAt = undefined; // unchanged (the input has no seconds)
    else {
      const d = localInputToDate(values.publishedAt, zone);
      if (d) publishedAt = isoTime(d);
      else errors.publishedAt = "Use a date and time like 2026-05-01 09:30, or leave it empty.";
    }
    const action = form.action === "publish" || form.action === "preview" ? form.action : "draft";
    if (action === "preview")
      return editor(admin, {
        post,
        values,
        updatedAt,
        errors,
        revisions,
        preview: renderMarkdown(values.body, { imageSize: (src) => mediaSizeByUrl(admin.blog.db, src) }),
      });
    if (Object.keys(errors).length) return editor(admin, { post, values, updatedAt, errors, revisions }, 400);
    // A form without the choice (sent by an older page) keeps what the post is.
    const kind = form.kind === undefined ? undefined : values.kind;
    const input: PostInput = {
      title: values.title,
      body: values.body,
      slug: values.slug,
      tags: parseTags(values.tags),
      status: action === "publish" ? "published" : "draft",
      publishedAt,
      kind,
    };
    try {
      const saved = post
        ? updatePost(admin.blog.db, post.id, input, { expectedUpdatedAt: updatedAt, now })
        : createPost(admin.blog.db, input, now);
      return adminRedirect(`/admin/posts/${saved.id}?saved=${saved.status}`);
    } catch (e) {
      if (e instanceof PostError)
        return editor(admin, { post, values, updatedAt, errors: { [e.field]: e.message }, revisions }, 400);
      if (e instanceof ConflictError && post) {
        const current = getPost(admin.blog.db, post.id)!;
        // The next save is a deliberate choice made after seeing the saved version.
        return editor(
          admin,
          { post: current, values, updatedAt: current.updated_at, revisions, conflict: current },
          409,
        );
      }
      throw e;
    }
  };

  /**
   * The editor's "Upload image": the image is stored and its Markdown added at the end of the body
   * that comes back; the post itself is not saved, and everything typed is kept either way.
   */
  const upload = async (admin: Admin, form: typeof editorUploadBody.static, post?: Post): Promise<Response> => {
    const values = valuesFrom(form);
    const updatedAt = form.updated_at ?? post?.updated_at ?? "";
    const revisions = post ? listRevisions(admin.blog.db, post.id) : [];
    const result = await storeUpload(admin.blog.db, form.image, form.alt, services.now());
    if (result.refused) {
      const { status, field, message } = result.refused;
      return editor(
        admin,
        { post, values: { ...values, alt: form.alt }, updatedAt, revisions, errors: { [field]: message } },
        status,
      );
    }
    const markdown = mediaMarkdown(result.ok.media);
    const body = values.body.trimEnd();
    const notice = {
      kind: "ok" as const,
      text: "Image uploaded. Its Markdown is added at the end of the Body; save the post to keep it:",
      markdown,
    };
    return editor(admin, {
      post,
      values: { ...values, body: body ? `${body}\n\n${markdown}\n` : `${markdown}\n` },
      updatedAt,
      revisions,
      notice,
    });
  };

  const savedNotice = (post: Post, saved: string | undefined, zone: string): EditorPageProps["notice"] => {
    if (saved === "published" && post.status === "published")
      return { kind: "ok", text: "Published. It is live at", href: `/${post.slug}`, link: `/${post.slug}` };
    if (saved === "scheduled" && post.status === "scheduled")
      return { kind: "ok", text: `Scheduled: it appears on the blog on ${formatDateTime(post.published_at, zone)}.` };
    if (saved && SAVED[saved]) return { kind: "ok", text: SAVED[saved] };
    return undefined;
  };

  return new Elysia({ name: "admin-posts" })
    .use(authorContext(services))
    .get(
      "/admin",
      ({ admin, query }) => {
        const notice = query.deleted !== undefined ? "The post was deleted." : undefined;
        return adminPage(
          <PostsPage
            chrome={admin.chrome}
            posts={listAllPosts(admin.blog.db)}
            timeZone={admin.blog.settings.time_zone}
            notice={notice}
          />,
        );
      },
      { author: true, query: t.Object({ deleted: t.Optional(t.String({ maxLength: 10 })) }) },
    )
    .get("/admin/", ({ request }) => adminRedirect("/admin" + new URL(request.url).search))
    .get("/admin/posts", () => adminRedirect("/admin"))
    .get(
      "/admin/posts/new",
      ({ admin }) =>
        editor(admin, {
          values: { title: "", body: "", slug: "", tags: "", publishedAt: "", kind: "post" },
          updatedAt: "",
        }),
      { author: true },
    )
    .post("/admin/posts", ({ admin, body }) => submit(admin, body), { author: true, body: editorBody })
    .post("/admin/posts/new/upload", ({ admin, body }) => upload(admin, body), {
      author: true,
      parse: parseForm,
      body: editorUploadBody,
    })
    .get(
      "/admin/posts/:id",
      ({ admin, post, query }) => {
        const zone = admin.blog.settings.time_zone;
        return editor(admin, {
          post,
          values: valuesOf(post, zone),
          updatedAt: post.updated_at,
          revisions: listRevisions(admin.blog.db, post.id),
          notice: savedNotice(post, query.saved, zone),
        });
      },
      { post: true, params: t.Object({ id }), query: t.Object({ saved: t.Optional(t.String({ maxLength: 20 })) }) },
    )
    .post("/admin/posts/:id", ({ admin, post, body }) => submit(admin, body, post), {
      post: true,
      params: t.Object({ id }),
      body: editorBody,
    })
    .post("/admin/posts/:id/upload", ({ admin, post, body }) => upload(admin, body, post), {
      post: true,
      params: t.Object({ id }),
      parse: parseForm,
      body: editorUploadBody,
    })
    .get(
      "/admin/posts/:id/revisions/:rev",
      ({ admin, post, params }) => {
        const revision = revisionOf(admin, post, params.rev);
        if (!revision) return missing(admin);
        return adminPage(
          <RevisionPage
            chrome={admin.chrome}
            post={post}
            revision={revision}
            timeZone={admin.blog.settings.time_zone}
          />,
        );
      },
      { post: true, params: t.Object({ id, rev: id }) },
    )
    .post(
      "/admin/posts/:id/revisions/:rev/restore",
      ({ admin, post, params, body }) => {
        const revision = revisionOf(admin, post, params.rev);
        if (!revision) return missing(admin);
        const page = (error: string, status: number) => {
          const current = getPost(admin.blog.db, post.id)!;
          return adminPage(
            <RevisionPage
              chrome={admin.chrome}
              post={current}
              revision={revision}
              timeZone={admin.blog.settings.time_zone}
              error={error}
            />,
            status,
          );
        };
        try {
          restoreRevision(admin.blog.db, post.id, revision.id, {
            expectedUpdatedAt: body.updated_at ?? "",
            now: services.now(),
          });
        } catch (e) {
          if (e instanceof ConflictError)
            return page(
              "The post was changed after you opened this page, so nothing was restored. Look at the post again; if you still want this version, restore it now.",
              409,
            );
          if (e instanceof PostError) return page(`This version cannot be restored as it is: ${e.message}`, 400);
          throw e;
        }
        return adminRedirect(`/admin/posts/${post.id}?saved=restored`);
      },
      {
        post: true,
        params: t.Object({ id, rev: id }),
        body: t.Object({
          csrf: t.Optional(t.String({ maxLength: 100 })),
          updated_at: t.Optional(t.String({ maxLength: 40 })),
        }),
      },
    )
    .get(
      "/admin/posts/:id/unpublish",
      ({ admin, post }) => {
        if (post.status === "draft") return adminRedirect(`/admin/posts/${post.id}`);
        return adminPage(
          <ConfirmPage
            chrome={admin.chrome}
            heading={`Unpublish “${post.title}”?`}
            action={`/admin/posts/${post.id}/unpublish`}
            button="Unpublish"
            cancelHref={`/admin/posts/${post.id}`}
          >
            <p>
              It disappears from the blog, its feeds and search, and becomes a draft again. You can publish it again at
              any time.
            </p>
          </ConfirmPage>,
        );
      },
      { post: true, params: t.Object({ id }) },
    )
    .post(
      "/admin/posts/:id/unpublish",
      ({ admin, post }) => {
        unpublishPost(admin.blog.db, post.id, services.now());
        return adminRedirect(`/admin/posts/${post.id}?saved=unpublished`);
      },
      { post: true, params: t.Object({ id }), body: csrfOnly },
    )
    .get(
      "/admin/posts/:id/delete",
      ({ admin, post }) => {
        const comments = countCommentsOfPost(admin.blog.db, post.id);
        const versions = countRevisions(admin.blog.db, post.id);
        return adminPage(
          <ConfirmPage
            chrome={admin.chrome}
            heading={`Delete “${post.title}”?`}
            action={`/admin/posts/${post.id}/delete`}
            button="Delete for good"
            cancelHref={`/admin/posts/${post.id}`}
            danger
          >
            <p
              safe
            >{`The post, its ${comments} comment${comments === 1 ? "" : "s"} and its ${versions} earlier version${versions === 1 ? "" : "s"} are deleted. This cannot be undone.`}</p>
            {post.status !== "draft" ? <p>To only take it off the blog, unpublish it instead.</p> : ""}
          </ConfirmPage>,
        );
      },
      { post: true, params: t.Object({ id }) },
    )
    .post(
      "/admin/posts/:id/delete",
      ({ admin, post }) => {
        deletePost(admin.blog.db, post.id);
        return adminRedirect("/admin?deleted=1");
      },
      { post: true, params: t.Object({ id }), body: csrfOnly },
    );
}
