import type { PostSummary } from "../../../blog/posts.ts";
import { OpenGraph } from "../../components/OpenGraph.tsx";
import { Pager } from "../../components/Pager.tsx";
import { Layout, type BlogChrome } from "../../layout.tsx";
import { PostList } from "./PostList.tsx";

export function HomePage({
  blog,
  posts,
  page,
  pages,
  timeZone,
}: {
  blog: BlogChrome;
  posts: PostSummary[];
  page: number;
  pages: number;
  timeZone: string;
}): JSX.Element {
  const canonical = page === 1 ? `${blog.origin}/` : `${blog.origin}/?page=${page}`;
  return (
    <Layout
      title={page === 1 ? blog.title : `${blog.title} · page ${page}`}
      blog={blog}
      description={blog.description || undefined}
      canonical={canonical}
      head={
        <OpenGraph
          type="website"
          siteName={blog.title}
          title={blog.title}
          url={canonical}
          description={blog.description || undefined}
        />
      }
    >
      {posts.length === 0 ? <p class="meta">No posts yet.</p> : <PostList posts={posts} timeZone={timeZone} />}
      <Pager page={page} pages={pages} base="/" />
    </Layout>
  );
}
