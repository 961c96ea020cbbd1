// One earlier version of a post, read-only, with the button that brings it back.
import type { Post } from "../../../blog/posts.ts";
import type { Revision } from "../../../blog/revisions.ts";
import { formatDateTime } from "../../../blog/zones.ts";
import { AdminLayout, CsrfField, Notice, type Chrome } from "./AdminLayout.tsx";

export function RevisionPage({
  chrome,
  post,
  revision,
  timeZone,
  error,
}: {
  chrome: Chrome;
  post: Post;
  revision: Revision;
  timeZone: string;
  error?: string;
}): JSX.Element {
  return (
    <AdminLayout title={`Version of ${post.title}`} chrome={chrome} section="posts">
      <p class="crumbs">
        <a href={`/admin/posts/${post.id}`} safe>{`← Back to “${post.title}”`}</a>
      </p>
      <h1 safe>{`Version of ${formatDateTime(revision.created_at, timeZone)}`}</h1>
      {error ? <Notice kind="bad">{<span safe>{error}</span>}</Notice> : ""}
      <p class="meta">
        Restoring it makes this the post's text again (title, slug, body and tags); the current text is kept as another
        version, so nothing is lost.
      </p>
      <form method="post" action={`/admin/posts/${post.id}/revisions/${revision.id}/restore`} class="actions">
        <CsrfField token={chrome.csrf} />
        <input type="hidden" name="updated_at" value={post.updated_at} />
        <button type="submit">Restore this version</button>
        <a class="button secondary" href={`/admin/posts/${post.id}`}>
          Cancel
        </a>
      </form>
      <dl class="facts">
        <dt>Title</dt>
        <dd safe>{revision.title}</dd>
        <dt>Slug</dt>
        <dd safe>{revision.slug}</dd>
        <dt>Tags</dt>
        <dd safe>{revision.tags || "none"}</dd>
      </dl>
      <pre class="saved-body" safe>
        {revision.body}
      </pre>
    </AdminLayout>
  );
}
