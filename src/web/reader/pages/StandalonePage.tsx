// A page (About, Now, Contact) at /<slug>: written like a post, shown without a date, tags or
// comments, and outside every list and feed.
import type { ReaderPost } from "../../../blog/posts.ts";
import { ImageCard, OpenGraph } from "../../components/OpenGraph.tsx";
import { TrustedHtml } from "../../components/TrustedHtml.tsx";
import { Layout, type BlogChrome } from "../../layout.tsx";

export function StandalonePage({ blog, page }: { blog: BlogChrome; page: ReaderPost }): JSX.Element {
  const url = `${blog.origin}/${page.slug}`;
  return (
    <Layout
      title={`${page.title} · ${blog.title}`}
      blog={blog}
      description={page.excerpt || undefined}
      canonical={url}
      head={
        <OpenGraph
          type="website"
          siteName={blog.title}
          title={page.title}
          url={url}
          description={page.excerpt || undefined}
        >
          <ImageCard html={page.html} origin={blog.origin} />
        </OpenGraph>
      }
    >
      <article class="page">
        <h1 safe>{page.title}</h1>
        <TrustedHtml class="prose" safeHtml={page.html} />
      </article>
    </Layout>
  );
}
