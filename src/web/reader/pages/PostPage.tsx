import type { PublicComment } from "../../../blog/comments.ts";
import type { ReaderPost } from "../../../blog/posts.ts";
import type { CommentPolicy } from "../../../blog/settings.ts";
import { ImageCard, OpenGraph } from "../../components/OpenGraph.tsx";
import { formatDate, PostMeta } from "../../components/PostMeta.tsx";
import { TrustedHtml } from "../../components/TrustedHtml.tsx";
import { Layout, type BlogChrome } from "../../layout.tsx";

export interface CommentFormState {
  values: { name: string; email: string; body: string };
  errors: Partial<Record<"name" | "email" | "body", string>>;
}

export interface PostPageProps {
  blog: BlogChrome;
  post: ReaderPost;
  comments: PublicComment[];
  policy: CommentPolicy;
  timeZone: string;
  /** "pending" or "published" after a comment was just sent. */
  notice?: string;
  form?: CommentFormState;
}

export function PostPage({ blog, post, comments, policy, timeZone, notice, form }: PostPageProps): JSX.Element {
  const url = `${blog.origin}/${post.slug}`;
  return (
    <Layout
      title={`${post.title} · ${blog.title}`}
      blog={blog}
      description={post.excerpt || undefined}
      canonical={url}
      head={
        <OpenGraph
          type="article"
          siteName={blog.title}
          title={post.title}
          url={url}
          description={post.excerpt || undefined}
        >
          {post.published_at ? <meta property="article:published_time" content={post.published_at} /> : ""}
          {post.tags.map((t) => (
            <meta property="article:tag" content={t} />
          ))}
          <ImageCard html={post.html} origin={blog.origin} />
        </OpenGraph>
      }
    >
      <article>
        <h1 safe>{post.title}</h1>
        <PostMeta publishedAt={post.published_at} tags={post.tags} timeZone={timeZone} />
        <TrustedHtml class="prose" safeHtml={post.html} />
      </article>
      <section class="comments" id="comments">
        <h2 safe>
          {comments.length === 0 ? "Comments" : `${comments.length} comment${comments.length === 1 ? "" : "s"}`}
        </h2>
        {notice === "pending" ? (
          <p class="notice ok" role="status">
            Thank you! Your comment was received and awaits moderation.
          </p>
        ) : (
          ""
        )}
        {notice === "published" ? (
          <p class="notice ok" role="status">
            Thank you! Your comment is published.
          </p>
        ) : (
          ""
        )}
        {comments.map((c) => (
          <div class="comment" id={`comment-${c.id}`}>
            <p class="meta">
              <strong safe>{c.author_name}</strong> ·{" "}
              <time datetime={c.created_at} safe>
                {formatDate(c.created_at, timeZone)}
              </time>
            </p>
            <TrustedHtml safeHtml={c.html} />
          </div>
        ))}
        {policy === "off" ? (
          <p class="meta">Comments are closed.</p>
        ) : (
          <CommentForm slug={post.slug} policy={policy} form={form} />
        )}
      </section>
    </Layout>
  );
}

function CommentForm({
  slug,
  policy,
  form,
}: {
  slug: string;
  policy: CommentPolicy;
  form?: CommentFormState;
}): JSX.Element {
  const v = form?.values ?? { name: "", email: "", body: "" };
  const e = form?.errors ?? {};
  return (
    <form class="stack" method="post" action={`/${slug}/comments`} id="comment-form">
      <h3>Leave a comment</h3>
      {Object.keys(e).length ? (
        <p class="notice bad" role="alert">
          Your comment was not sent: please check the fields below.
        </p>
      ) : (
        ""
      )}
      <label>
        Name
        <input type="text" name="name" value={v.name} required maxlength="80" autocomplete="name" />
        {e.name ? (
          <span class="field-error" safe>
            {e.name}
          </span>
        ) : (
          ""
        )}
      </label>
      <label>
        Email (optional, never shown)
        <input type="email" name="email" value={v.email} maxlength="254" autocomplete="email" />
        {e.email ? (
          <span class="field-error" safe>
            {e.email}
          </span>
        ) : (
          ""
        )}
      </label>
      <label>
        Comment
        <textarea name="body" required maxlength="5000" rows="6" safe>
          {v.body}
        </textarea>
        {e.body ? (
          <span class="field-error" safe>
            {e.body}
          </span>
        ) : (
          ""
        )}
      </label>
      <div class="hp" aria-hidden="true">
        <label>
          Leave this field empty
          <input type="text" name="website" tabindex="-1" autocomplete="off" />
        </label>
      </div>
      <p class="meta">
        {policy === "moderate"
          ? "Comments are published after the author approves them."
          : "Comments appear right away."}
      </p>
      <div>
        <button type="submit">Send comment</button>
      </div>
    </form>
  );
}
