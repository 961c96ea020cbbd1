// Writing a post: title, Markdown body, slug, tags and a publish time, with a server-rendered
// preview, messages beside the fields that need attention, the conflict notice when the post
// changed meanwhile, and the post's earlier versions.
//
// Long because it is one form laid out field by field; the markup is most of it.
import { ACCEPTED_TYPES, MEDIA_LIMITS, sizeText } from "../../../blog/media.ts";
import type { Post, PostKind } from "../../../blog/posts.ts";
import type { RevisionSummary } from "../../../blog/revisions.ts";
import { formatDateTime } from "../../../blog/zones.ts";
import { TrustedHtml } from "../../components/TrustedHtml.tsx";
import { AdminLayout, CsrfField, FieldError, Notice, type Chrome } from "./AdminLayout.tsx";
import { IMAGE_ACCEPT } from "./MediaPage.tsx";

export type EditorField = "title" | "body" | "slug" | "tags" | "publishedAt" | "kind" | "image" | "alt";

export interface EditorValues {
  title: string;
  body: string;
  slug: string;
  tags: string;
  /** As typed in the datetime-local input, in the blog's time zone. */
  publishedAt: string;
  /** A post (in lists and feeds) or a page (About, …: only at its address and in the sitemap). */
  kind: PostKind;
  /** The alt text typed for an image not uploaded yet (kept when an upload is refused). */
  alt?: string;
}

export interface EditorPageProps {
  chrome: Chrome;
  /** The saved post, when editing one. */
  post?: Post;
  values: EditorValues;
  /** The version the form was loaded from (conflict detection). */
  updatedAt: string;
  timeZone: string;
  errors?: Partial<Record<EditorField, string>>;
  notice?: { kind: "ok" | "bad"; text: string; href?: string; link?: string; markdown?: string };
  /** Sanitised HTML of the preview, when Preview was pressed. */
  preview?: string;
  /** The version saved by someone else meanwhile. */
  conflict?: Post;
  revisions?: RevisionSummary[];
}

const FIELD_IDS: Record<EditorField, string> = {
  title: "title",
  body: "body",
  slug: "slug",
  tags: "tags",
  publishedAt: "published_at",
  kind: "kind-post",
  image: "image",
  alt: "alt",
};
const FIELD_LABELS: Record<EditorField, string> = {
  title: "Title",
  body: "Body",
  slug: "Slug",
  tags: "Tags",
  publishedAt: "Publish date and time",
  kind: "Post or page",
  image: "Image",
  alt: "Alt text",
};

const STATUS_LABEL = { draft: "Draft", scheduled: "Scheduled", published: "Published" } as const;

function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: JSX.Element;
}): JSX.Element {
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id} safe>
        {label}
      </label>
      {children}
      {hint ? (
        <p class="hint" id={`${id}-hint`} safe>
          {hint}
        </p>
      ) : (
        ""
      )}
      <FieldError id={id} message={error} />
    </div>
  );
}

function describedBy(id: string, hint: boolean, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return ids || undefined;
}

export function EditorPage({
  chrome,
  post,
  values,
  updatedAt,
  timeZone,
  errors = {},
  notice,
  preview,
  conflict,
  revisions = [],
}: EditorPageProps): JSX.Element {
  const live = post && post.status !== "draft";
  const action = post ? `/admin/posts/${post.id}` : "/admin/posts";
  const uploadAction = post ? `/admin/posts/${post.id}/upload` : "/admin/posts/new/upload";
  const hasErrors = Object.keys(errors).length > 0;
  return (
    <AdminLayout title={post ? `Edit: ${post.title}` : "New post"} chrome={chrome} section="posts">
      <p class="crumbs">
        <a href="/admin">← All posts</a>
      </p>
      <div class="page-head">
        {post ? <h1 safe>{post.title}</h1> : <h1>New post</h1>}
        {post ? <span class={`status ${post.status}`}>{STATUS_LABEL[post.status]}</span> : ""}
      </div>
      {notice ? (
        <Notice kind={notice.kind}>
          <span safe>{notice.text}</span>
          {notice.href ? (
            <>
              {" "}
              <a href={notice.href} safe>
                {notice.link ?? notice.href}
              </a>
            </>
          ) : (
            ""
          )}
          {notice.markdown ? (
            <>
              {" "}
              <code class="markdown" safe>
                {notice.markdown}
              </code>
            </>
          ) : (
            ""
          )}
        </Notice>
      ) : (
        ""
      )}
      {hasErrors ? (
        <Notice kind="bad">
          {"Nothing was saved yet. Please check: "}
          {(Object.keys(errors) as EditorField[]).map((f, i) => (
            <>
              {i > 0 ? ", " : ""}
              <a href={`#${FIELD_IDS[f]}`} safe>
                {FIELD_LABELS[f]}
              </a>
            </>
          ))}
          .
        </Notice>
      ) : (
        ""
      )}
      {conflict ? <ConflictNotice current={conflict} timeZone={timeZone} /> : ""}
      {preview !== undefined ? (
        <section class="preview" aria-labelledby="preview-heading">
          <p class="preview-label" id="preview-heading">
            Preview (not saved yet)
          </p>
          <h1 class="preview-title" safe>
            {values.title || "Untitled"}
          </h1>
          <TrustedHtml class="prose" safeHtml={preview} />
        </section>
      ) : (
        ""
      )}
      <div class={post ? "editor-grid has-side" : "editor-grid"}>
        <form class="stack editor" method="post" action={action}>
          <CsrfField token={chrome.csrf} />
          <input type="hidden" name="updated_at" value={updatedAt} />
          <Field id="title" label="Title" error={errors.title}>
            <input
              type="text"
              id="title"
              name="title"
              value={values.title}
              maxlength="300"
              aria-invalid={errors.title ? "true" : undefined}
              aria-describedby={describedBy("title", false, errors.title)}
            />
          </Field>
          <Field
            id="body"
            label="Body"
            hint="Markdown: **bold**, _italic_, [a link](https://…), # a heading, - a list, ``` code."
            error={errors.body}
          >
            <textarea
              id="body"
              name="body"
              rows="18"
              aria-invalid={errors.body ? "true" : undefined}
              aria-describedby={describedBy("body", true, errors.body)}
              safe
            >
              {values.body}
            </textarea>
          </Field>
          <div class="field-row">
            <Field
              id="slug"
              label="Slug"
              hint={
                live
                  ? "The address of the post. Changing it keeps the old address working (it redirects)."
                  : "The address of the post; leave empty to make it from the title."
              }
              error={errors.slug}
            >
              <input
                type="text"
                id="slug"
                name="slug"
                value={values.slug}
                maxlength="120"
                autocapitalize="none"
                spellcheck="false"
                aria-invalid={errors.slug ? "true" : undefined}
                aria-describedby={describedBy("slug", true, errors.slug)}
              />
            </Field>
            <Field id="tags" label="Tags" hint="Separated by commas, like: sqlite, design." error={errors.tags}>
              <input
                type="text"
                id="tags"
                name="tags"
                value={values.tags}
                maxlength="1000"
                aria-invalid={errors.tags ? "true" : undefined}
                aria-describedby={describedBy("tags", true, errors.tags)}
              />
            </Field>
          </div>
          <fieldset class={errors.kind ? "field choice invalid" : "field choice"}>
            <legend>Post or page</legend>
            <label>
              <input type="radio" id="kind-post" name="kind" value="post" checked={values.kind !== "page"} /> Post
            </label>
            <label>
              <input
                type="radio"
                id="kind-page"
                name="kind"
                value="page"
                checked={values.kind === "page"}
                aria-describedby="kind-hint"
              />{" "}
              Page
            </label>
            <p class="hint" id="kind-hint">
              A page (About, Now, Contact) has its own address but is left out of the home page, tags, feeds and search.
            </p>
            <FieldError id="kind" message={errors.kind} />
          </fieldset>
          <Field
            id="published_at"
            label="Publish date and time"
            hint={`In ${timeZone}. Leave empty to publish now; a time in the future schedules the post.`}
            error={errors.publishedAt}
          >
            <input
              type="datetime-local"
              id="published_at"
              name="published_at"
              value={values.publishedAt}
              aria-invalid={errors.publishedAt ? "true" : undefined}
              aria-describedby={describedBy("published_at", true, errors.publishedAt)}
            />
          </Field>
          <div class="actions">
            {live ? (
              <button type="submit" name="action" value="publish">
                Update post
              </button>
            ) : (
              <button type="submit" name="action" value="draft" class="secondary">
                Save draft
              </button>
            )}
            <button type="submit" name="action" value="preview" class="secondary">
              Preview
            </button>
            {live ? (
              ""
            ) : (
              <button type="submit" name="action" value="publish">
                Publish
              </button>
            )}
          </div>
          {/* After the buttons above, so that Enter in a field still saves rather than uploads. */}
          <fieldset class="upload" id="upload">
            <legend>Add an image</legend>
            <div class="field-row">
              <Field
                id="image"
                label="Image"
                hint={`${ACCEPTED_TYPES}, at most ${sizeText(MEDIA_LIMITS.fileBytes)}. Its Markdown is added at the end of the Body; nothing is saved until you save.`}
                error={errors.image}
              >
                <input
                  type="file"
                  id="image"
                  name="image"
                  accept={IMAGE_ACCEPT}
                  aria-invalid={errors.image ? "true" : undefined}
                  aria-describedby={describedBy("image", true, errors.image)}
                />
              </Field>
              <Field
                id="alt"
                label="Alt text"
                hint="What the image shows, for readers who cannot see it."
                error={errors.alt}
              >
                <input
                  type="text"
                  id="alt"
                  name="alt"
                  value={values.alt ?? ""}
                  maxlength={String(MEDIA_LIMITS.alt)}
                  aria-invalid={errors.alt ? "true" : undefined}
                  aria-describedby={describedBy("alt", true, errors.alt)}
                />
              </Field>
            </div>
            <div>
              <button
                type="submit"
                name="action"
                value="upload"
                class="secondary"
                formaction={uploadAction}
                formenctype="multipart/form-data"
              >
                Upload image
              </button>
            </div>
          </fieldset>
        </form>
        {post ? <PostSide post={post} revisions={revisions} timeZone={timeZone} /> : ""}
      </div>
    </AdminLayout>
  );
}

function ConflictNotice({ current, timeZone }: { current: Post; timeZone: string }): JSX.Element {
  return (
    <div class="notice bad conflict" role="alert">
      <p>
        <strong>This post was changed after you opened it</strong>
        <span
          safe
        >{` (saved ${formatDateTime(current.updated_at, timeZone)}, perhaps in another tab). Nothing was overwritten. Your text is kept in the form below; compare it with the saved version, then save again to replace it, or reload to drop your changes.`}</span>
      </p>
      <details>
        <summary>Show the saved version</summary>
        <p>
          <strong safe>{current.title}</strong>
        </p>
        <pre class="saved-body" safe>
          {current.body}
        </pre>
      </details>
    </div>
  );
}

function PostSide({
  post,
  revisions,
  timeZone,
}: {
  post: Post;
  revisions: RevisionSummary[];
  timeZone: string;
}): JSX.Element {
  return (
    <aside class="side">
      <section>
        <h2>This post</h2>
        <dl class="facts">
          <dt>Status</dt>
          {post.status === "scheduled" ? (
            <dd safe>{`Scheduled for ${formatDateTime(post.published_at, timeZone)}`}</dd>
          ) : (
            <dd>{STATUS_LABEL[post.status]}</dd>
          )}
          {post.status === "published" ? (
            <>
              <dt>Address</dt>
              <dd>
                <a href={`/${post.slug}`} safe>{`/${post.slug}`}</a>
              </dd>
              <dt>Views</dt>
              <dd safe>{post.views.toLocaleString("en")}</dd>
            </>
          ) : (
            ""
          )}
          <dt>Last saved</dt>
          <dd safe>{formatDateTime(post.updated_at, timeZone)}</dd>
        </dl>
        <p class="side-actions">
          {post.status !== "draft" ? <a href={`/admin/posts/${post.id}/unpublish`}>Unpublish…</a> : ""}
          <a class="danger-link" href={`/admin/posts/${post.id}/delete`}>
            Delete…
          </a>
        </p>
      </section>
      <section>
        <h2>Earlier versions</h2>
        {revisions.length === 0 ? (
          <p class="meta">None yet: every save keeps the version it replaces here.</p>
        ) : (
          <ol class="revisions">
            {revisions.map((r) => (
              <li>
                <a href={`/admin/posts/${post.id}/revisions/${r.id}`} safe>
                  {formatDateTime(r.created_at, timeZone)}
                </a>
                <span class="meta" safe>
                  {`${r.title} · ${r.length.toLocaleString("en")} characters`}
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </aside>
  );
}
