import type { SearchHit } from "../../../blog/search.ts";
import { Pager } from "../../components/Pager.tsx";
import { formatDate } from "../../components/PostMeta.tsx";
import { TrustedHtml } from "../../components/TrustedHtml.tsx";
import { Layout, type BlogChrome } from "../../layout.tsx";

export function SearchPage({
  blog,
  query,
  hits,
  total,
  page,
  pages,
  timeZone,
  tooShort,
  minChars,
}: {
  blog: BlogChrome;
  query: string;
  hits: SearchHit[];
  total: number;
  page: number;
  pages: number;
  timeZone: string;
  tooShort?: boolean;
  minChars?: number;
}): JSX.Element {
  return (
    <Layout
      title={query ? `“${query}” · Search · ${blog.title}` : `Search · ${blog.title}`}
      blog={blog}
      head={<meta name="robots" content="noindex" />}
    >
      <h1>Search</h1>
      <form class="search-form" method="get" action="/search" role="search">
        <input
          type="search"
          name="q"
          value={query}
          aria-label="Search this blog"
          placeholder="Search this blog"
          maxlength="200"
        />
        <button type="submit">Search</button>
      </form>
      {tooShort ? (
        <p class="meta" safe>{`Type at least ${minChars ?? 2} letters or digits to search.`}</p>
      ) : query ? (
        <p class="meta" safe>
          {total === 0 ? `No posts match “${query}”.` : `${total} post${total === 1 ? "" : "s"} match “${query}”.`}
        </p>
      ) : (
        ""
      )}
      <ul class="post-list">
        {hits.map((h) => (
          <li>
            <h2>
              <a href={`/${h.slug}`}>
                <TrustedHtml tag="span" safeHtml={h.titleHtml} />
              </a>
            </h2>
            <p class="meta">
              <time datetime={h.published_at} safe>
                {formatDate(h.published_at, timeZone)}
              </time>
            </p>
            <TrustedHtml tag="p" safeHtml={h.snippetHtml} />
          </li>
        ))}
      </ul>
      <Pager page={page} pages={pages} base={`/search?q=${encodeURIComponent(query)}`} />
    </Layout>
  );
}
