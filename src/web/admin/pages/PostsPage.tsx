// The author's posts: drafts, scheduled and published, with views, and the way to a new one.
import type { Post } from "../../../blog/posts.ts";
import { formatDateTime } from "../../../blog/zones.ts";
import { AdminLayout, Notice, type Chrome } from "./AdminLayout.tsx";

export type PostRow = Pick<Post, "id" | "slug" | "title" | "status" | "kind" | "published_at" | "updated_at" | "views">;

export function PostsPage({
  chrome,
  posts,
  timeZone,
  notice,
}: {
  chrome: Chrome;
  posts: PostRow[];
  timeZone: string;
  notice?: string;
}): JSX.Element {
  const drafts = posts.filter((p) => p.status === "draft");
  const scheduled = posts
    .filter((p) => p.status === "scheduled")
    .sort((a, b) => String(a.published_at).localeCompare(String(b.published_at)));
  const published = posts
    .filter((p) => p.status === "published")
    .sort((a, b) => String(b.published_at).localeCompare(String(a.published_at)));
  return (
    <AdminLayout title="Posts" chrome={chrome} section="posts">
      <div class="page-head">
        <h1>Posts</h1>
        <a class="button" href="/admin/posts/new">
          New post
        </a>
      </div>
      {notice ? <Notice>{<span safe>{notice}</span>}</Notice> : ""}
      {posts.length === 0 ? (
        <div class="empty">
          <p>Nothing here yet. Your first post is one click away.</p>
        </div>
      ) : (
        ""
      )}
      <PostGroup heading="Drafts" posts={drafts} describe={(p) => `Edited ${formatDateTime(p.updated_at, timeZone)}`} />
      <PostGroup
        heading="Scheduled"
        posts={scheduled}
        describe={(p) => `Publishes ${formatDateTime(p.published_at, timeZone)}`}
      />
      <PostGroup
        heading="Published"
        posts={published}
        describe={(p) => formatDateTime(p.published_at, timeZone)}
        views
      />
    </AdminLayout>
  );
}

function PostGroup({
  heading,
  posts,
  describe,
  views,
}: {
  heading: string;
  posts: PostRow[];
  describe: (p: PostRow) => string;
  views?: boolean;
}): JSX.Element {
  if (posts.length === 0) return "";
  return (
    <section class="admin-section">
      <h2 safe>{`${heading} (${posts.length})`}</h2>
      <ul class="rows">
        {posts.map((p) => (
          <li>
            <a class="row-title" href={`/admin/posts/${p.id}`} safe>
              {p.title}
            </a>
            {p.kind === "page" ? <span class="status page">Page</span> : ""}
            <span class="meta" safe>
              {describe(p)}
            </span>
            {views ? (
              <span class="meta views" safe>
                {`${p.views.toLocaleString("en")} view${p.views === 1 ? "" : "s"}`}
              </span>
            ) : (
              ""
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
