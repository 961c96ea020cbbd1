import type { PostSummary } from "../../../blog/posts.ts";
import { PostMeta } from "../../components/PostMeta.tsx";

export function PostList({ posts, timeZone }: { posts: PostSummary[]; timeZone: string }): JSX.Element {
  return (
    <ul class="post-list">
      {posts.map((p) => (
        <li>
          <h2>
            <a href={`/${p.slug}`} safe>
              {p.title}
            </a>
          </h2>
          <PostMeta publishedAt={p.published_at} tags={p.tags} timeZone={timeZone} />
          {p.excerpt ? <p safe>{p.excerpt}</p> : ""}
        </li>
      ))}
    </ul>
  );
}
