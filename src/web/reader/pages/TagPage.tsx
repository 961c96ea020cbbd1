import type { PostSummary } from "../../../blog/posts.ts";
import { Pager } from "../../components/Pager.tsx";
import { tagHref } from "../../components/PostMeta.tsx";
import { Layout, type BlogChrome } from "../../layout.tsx";
import { PostList } from "./PostList.tsx";

export function TagPage({
  blog,
  tag,
  posts,
  page,
  pages,
  total,
  timeZone,
}: {
  blog: BlogChrome;
  tag: string;
  posts: PostSummary[];
  page: number;
  pages: number;
  total: number;
  timeZone: string;
}): JSX.Element {
  const base = tagHref(tag);
  return (
    <Layout
      title={`Posts tagged “${tag}” · ${blog.title}`}
      blog={blog}
      canonical={`${blog.origin}${base}${page > 1 ? `?page=${page}` : ""}`}
      head={
        <link
          rel="alternate"
          type="application/atom+xml"
          title={`${blog.title}: posts tagged “${tag}”`}
          href={`${blog.origin}${base}/feed.xml`}
        />
      }
    >
      <h1 safe>{`Tagged “${tag}”`}</h1>
      <p class="meta">
        <span safe>{`${total} post${total === 1 ? "" : "s"} · `}</span>
        <a href={`${base}/feed.xml`}>Feed of this tag</a>
      </p>
      <PostList posts={posts} timeZone={timeZone} />
      <Pager page={page} pages={pages} base={base} />
    </Layout>
  );
}

export function TagsPage({ blog, tags }: { blog: BlogChrome; tags: { name: string; count: number }[] }): JSX.Element {
  return (
    <Layout title={`Tags · ${blog.title}`} blog={blog} canonical={`${blog.origin}/tags`}>
      <h1>Tags</h1>
      {tags.length === 0 ? (
        <p class="meta">No tags yet.</p>
      ) : (
        <p class="tags">
          {tags.map((t) => (
            <a href={tagHref(t.name)} safe>
              {`${t.name} (${t.count})`}
            </a>
          ))}
        </p>
      )}
    </Layout>
  );
}
