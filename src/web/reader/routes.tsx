// What readers see. Pages are rendered once per blog change and served from the page cache
// (cache.ts); only the comment form writes.
//
// Longer than most modules: one short handler per reader URL, so the whole public surface reads in
// one file.
import { Elysia, t } from "elysia";
import { addComment, COMMENT_LIMITS, listApprovedComments } from "../../blog/comments.ts";
import { isValidEmail } from "../../blog/authors.ts";
import { countComments, MAX_PENDING_COMMENTS } from "../../blog/moderation.ts";
import { atomFeed, FEED_SIZE, jsonFeed } from "../../blog/feed.ts";
import {
  findRedirect,
  getVisiblePage,
  getVisiblePost,
  listVisiblePosts,
  listVisiblePostsFull,
  listVisiblePostsFullWithTag,
  listVisiblePostsWithTag,
  normaliseTag,
  type ReaderPost,
} from "../../blog/posts.ts";
import { isSearchable, MAX_QUERY_LENGTH, MIN_QUERY_CHARS, searchPosts } from "../../blog/search.ts";
import { listVisibleTags } from "../../blog/tags.ts";
import { listTenantNames } from "../../tenants/names.ts";
import { STYLESHEET, STYLESHEET_PATH } from "../assets.ts";
import { ErrorPage, NotFoundError } from "../errors.tsx";
import { htmlResponse, seeOther } from "../http.ts";
import { RateLimiter } from "../ratelimit.ts";
import type { Services } from "../services.ts";
import { openBlog, type BlogRequest } from "../site.ts";
import { visitContext } from "../visit.ts";
import { servePage, type Rendered } from "./cache.ts";
import { HomePage } from "./pages/HomePage.tsx";
import { InstancePage } from "./pages/InstancePage.tsx";
import { PostPage, type CommentFormState } from "./pages/PostPage.tsx";
import { SearchPage } from "./pages/SearchPage.tsx";
import { StandalonePage } from "./pages/StandalonePage.tsx";
import { TagPage, TagsPage } from "./pages/TagPage.tsx";
import { sitemap, robots } from "./sitemap.ts";

/** `?page=N`: absent is 1; anything but a plain positive number is a 404, never a 5xx. */
function pageNumber(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 1;
  if (!/^[1-9]\d{0,3}$/.test(raw)) throw new NotFoundError(`There is no page “${raw.slice(0, 40)}”.`);
  return Number(raw);
}

function pagesFor(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}

function outOfRange(page: number, pages: number): void {
  if (page > pages) throw new NotFoundError(`There is no page ${page}; the last one is ${pages}.`);
}

function notFound(blog: BlogRequest, message: string): Rendered {
  return {
    status: 404,
    body: String(<ErrorPage status={404} heading="Not found" message={message} blog={blog.chrome} />),
  };
}

const pageQuery = t.Object({ page: t.Optional(t.String({ maxLength: 20 })) });

export function readerRoutes(services: Services) {
  // Five comments per client and blog per ten minutes keep scripted floods out.
  const commentLimiter = new RateLimiter(5, 10 * 60 * 1000);

  const renderPost = (blog: BlogRequest, slug: string, notice?: string, form?: CommentFormState): Rendered | null => {
    const post = getVisiblePost(blog.db, slug, services.now());
    if (!post) return null;
    const page = (
      <PostPage
        blog={blog.chrome}
        post={post}
        comments={listApprovedComments(blog.db, post.id)}
        policy={blog.settings.comment_policy}
        timeZone={blog.settings.time_zone}
        notice={notice}
        form={form}
      />
    );
    return { body: String(page), lastModified: post.updated_at, viewPostId: post.id, status: form ? 400 : 200 };
  };

  /** A page (About, …) shares the posts' addresses: /<slug> is a post, else a page. */
  const renderPage = (blog: BlogRequest, slug: string): Rendered | null => {
    const page = getVisiblePage(blog.db, slug, services.now());
    return page
      ? {
          body: String(<StandalonePage blog={blog.chrome} page={page} />),
          lastModified: page.updated_at,
          viewPostId: page.id,
        }
      : null;
  };

  /** The Atom feed of `posts` (the blog's, or one tag's). */
  const feedOf = (blog: BlogRequest, posts: ReaderPost[], tag?: string): Rendered => {
    const updated = posts.reduce(
      (max, p) => (p.updated_at > max ? p.updated_at : max),
      posts[0]?.published_at ?? "1970-01-01T00:00:00Z",
    );
    return {
      body: atomFeed({
        settings: blog.settings,
        name: blog.tenant.name,
        origin: blog.origin,
        posts,
        updated: new Date(updated),
        tag,
      }),
      contentType: "application/atom+xml; charset=utf-8",
      lastModified: updated,
    };
  };

  return new Elysia({ name: "reader" })
    .use(visitContext(services))
    .get(
      STYLESHEET_PATH,
      () =>
        new Response(STYLESHEET, {
          headers: {
            "content-type": "text/css; charset=utf-8",
            "cache-control": "public, max-age=31536000, immutable",
          },
        }),
    )
    .get(
      "/",
      ({ visit, query }) => {
        if (visit.site.kind !== "blog") {
          const port = (visit.request.headers.get("host") ?? "").split(":")[1] ?? "";
          return htmlResponse(
            String(
              <InstancePage
                blogCount={listTenantNames(services.config.dataDir).length}
                domain={services.config.domain}
                port={port}
              />,
            ),
            200,
            { "cache-control": "no-store" },
          );
        }
        const page = pageNumber(query.page);
        return servePage(services, visit, (blog) => {
          const per = blog.settings.posts_per_page;
          const { items, total } = listVisiblePosts(blog.db, {
            limit: per,
            offset: (page - 1) * per,
            now: services.now(),
          });
          const pages = pagesFor(total, per);
          outOfRange(page, pages);
          return {
            body: String(
              <HomePage
                blog={blog.chrome}
                posts={items}
                page={page}
                pages={pages}
                timeZone={blog.settings.time_zone}
              />,
            ),
          };
        });
      },
      { query: pageQuery },
    )
    .get("/tags", ({ visit }) =>
      servePage(services, visit, (blog) => ({
        body: String(<TagsPage blog={blog.chrome} tags={listVisibleTags(blog.db, services.now())} />),
      })),
    )
    .get(
      "/tags/:tag",
      ({ visit, params, query }) => {
        const page = pageNumber(query.page);
        const tag = normaliseTag(params.tag);
        return servePage(services, visit, (blog) => {
          const per = blog.settings.posts_per_page;
          const { items, total } = listVisiblePostsWithTag(blog.db, tag, {
            limit: per,
            offset: (page - 1) * per,
            now: services.now(),
          });
          if (total === 0) return notFound(blog, `No post is tagged “${params.tag}”.`);
          const pages = pagesFor(total, per);
          outOfRange(page, pages);
          return {
            body: String(
              <TagPage
                blog={blog.chrome}
                tag={tag}
                posts={items}
                page={page}
                pages={pages}
                total={total}
                timeZone={blog.settings.time_zone}
              />,
            ),
          };
        });
      },
      { params: t.Object({ tag: t.String({ maxLength: 200 }) }), query: pageQuery },
    )
    .get(
      "/search",
      ({ visit, query }) => {
        const page = pageNumber(query.page);
        const q = (query.q ?? "").trim();
        const tooShort = q !== "" && !isSearchable(q);
        return servePage(
          services,
          visit,
          (blog) => {
            const per = blog.settings.posts_per_page;
            const { hits, total } = tooShort
              ? { hits: [], total: 0 }
              : searchPosts(blog.db, q, { limit: per, offset: (page - 1) * per, now: services.now() });
            const pages = pagesFor(total, per);
            if (total > 0) outOfRange(page, pages);
            return {
              body: String(
                <SearchPage
                  blog={blog.chrome}
                  query={q}
                  hits={hits}
                  total={total}
                  page={page}
                  pages={pages}
                  timeZone={blog.settings.time_zone}
                  tooShort={tooShort}
                  minChars={MIN_QUERY_CHARS}
                />,
              ),
            };
          },
          { search: true },
        );
      },
      // Longer queries are cut, not refused: a reader pasting a paragraph still gets results.
      {
        query: t.Object({
          q: t.Optional(t.String({ maxLength: MAX_QUERY_LENGTH * 10 })),
          page: t.Optional(t.String({ maxLength: 20 })),
        }),
      },
    )
    .get("/feed.xml", ({ visit }) =>
      servePage(services, visit, (blog) =>
        feedOf(blog, listVisiblePostsFull(blog.db, { limit: FEED_SIZE, now: services.now() })),
      ),
    )
    .get(
      "/tags/:tag/feed.xml",
      ({ visit, params }) => {
        const tag = normaliseTag(params.tag);
        return servePage(services, visit, (blog) => {
          const posts = listVisiblePostsFullWithTag(blog.db, tag, { limit: FEED_SIZE, now: services.now() });
          return posts.length ? feedOf(blog, posts, tag) : notFound(blog, `No post is tagged “${params.tag}”.`);
        });
      },
      { params: t.Object({ tag: t.String({ maxLength: 200 }) }) },
    )
    .get("/feed.json", ({ visit }) =>
      servePage(services, visit, (blog) => {
        const posts = listVisiblePostsFull(blog.db, { limit: FEED_SIZE, now: services.now() });
        const updated = posts.reduce(
          (max, p) => (p.updated_at > max ? p.updated_at : max),
          posts[0]?.published_at ?? "1970-01-01T00:00:00Z",
        );
        return {
          body: jsonFeed({
            settings: blog.settings,
            name: blog.tenant.name,
            origin: blog.origin,
            posts,
            updated: new Date(updated),
          }),
          contentType: "application/feed+json; charset=utf-8",
          lastModified: updated,
        };
      }),
    )
    .get("/sitemap.xml", ({ visit }) =>
      servePage(services, visit, (blog) => ({
        body: sitemap(blog, services.now()),
        contentType: "application/xml; charset=utf-8",
      })),
    )
    .get("/robots.txt", ({ visit }) => {
      if (visit.site.kind !== "blog")
        return new Response("User-agent: *\nDisallow:\n", { headers: { "content-type": "text/plain; charset=utf-8" } });
      return servePage(services, visit, (blog) => ({
        body: robots(blog.origin),
        contentType: "text/plain; charset=utf-8",
      }));
    })
    .get(
      "/:slug",
      ({ visit, params, query }) =>
        servePage(services, visit, (blog) => {
          const notice = query.comment === "pending" || query.comment === "published" ? query.comment : undefined;
          const page = renderPost(blog, params.slug, notice) ?? renderPage(blog, params.slug);
          if (page) return page;
          const moved = findRedirect(blog.db, params.slug, services.now());
          if (moved) return { status: 301, body: "", headers: { location: `/${moved}` } };
          return notFound(blog, "There is no post at this address. It may have been unpublished or never existed.");
        }),
      {
        params: t.Object({ slug: t.String({ maxLength: 200 }) }),
        query: t.Object({ comment: t.Optional(t.String({ maxLength: 20 })) }),
      },
    )
    .post(
      "/:slug/comments",
      ({ visit, params, body }) => {
        const blog = openBlog(services, visit);
        const post = getVisiblePost(blog.db, params.slug, services.now());
        if (!post) throw new NotFoundError("There is no post at this address to comment on.");
        if (blog.settings.comment_policy === "off") {
          return htmlResponse(
            String(
              <ErrorPage
                status={403}
                heading="Comments are closed"
                message="The author has turned comments off on this blog."
                blog={blog.chrome}
              />,
            ),
            403,
          );
        }
        // The honeypot: people never see the field, scripts fill it in. Pretend all went well.
        if (body.website) return seeOther(`/${post.slug}?comment=pending#comments`);
        const status = blog.settings.comment_policy === "approve" ? "approved" : "pending";
        // Checked before the client's own limit, so a full queue does not use up a reader's tries.
        if (status === "pending" && countComments(blog.db, "pending") >= MAX_PENDING_COMMENTS) {
          const page = (
            <ErrorPage
              status={429}
              heading="The comment queue is full"
              message={`${MAX_PENDING_COMMENTS} comments are already waiting for the author to read them, so this blog takes no more until the author has caught up. Nothing was saved; please try again later.`}
              blog={blog.chrome}
            />
          );
          return htmlResponse(String(page), 429, { "retry-after": "3600" });
        }
        const verdict = commentLimiter.hit(`${blog.tenant.name}\u0000${visit.clientKey}`, services.now().getTime());
        if (!verdict.allowed) {
          const page = (
            <ErrorPage
              status={429}
              heading="Slow down, please"
              message={`You have sent several comments in a short time. Please try again in ${Math.ceil(verdict.retryAfter / 60)} minute${verdict.retryAfter > 60 ? "s" : ""}.`}
              blog={blog.chrome}
            />
          );
          return htmlResponse(String(page), 429, { "retry-after": String(verdict.retryAfter) });
        }
        const values = { name: body.name.trim(), email: (body.email ?? "").trim(), body: body.body.trim() };
        const errors: CommentFormState["errors"] = {};
        if (!values.name) errors.name = "Please give a name (any name will do).";
        else if (values.name.length > COMMENT_LIMITS.name) errors.name = `At most ${COMMENT_LIMITS.name} characters.`;
        if (values.email && !isValidEmail(values.email)) errors.email = "This does not look like an email address.";
        if (!values.body) errors.body = "The comment is empty.";
        else if (values.body.length > COMMENT_LIMITS.body)
          errors.body = `At most ${COMMENT_LIMITS.body} characters; this one has ${values.body.length}.`;
        if (Object.keys(errors).length) {
          const page = renderPost(blog, post.slug, undefined, { values, errors })!;
          return htmlResponse(page.body, 400, { "cache-control": "no-store" });
        }
        // Committed before the answer: the reader is only told once it is on disk.
        addComment(
          blog.db,
          { postId: post.id, name: values.name, email: values.email || null, body: values.body, status },
          services.now(),
        );
        services.metrics.commentsReceived.inc();
        return seeOther(`/${post.slug}?comment=${status === "approved" ? "published" : "pending"}#comments`);
      },
      {
        params: t.Object({ slug: t.String({ maxLength: 200 }) }),
        body: t.Object({
          name: t.String({ maxLength: 1000 }),
          email: t.Optional(t.String({ maxLength: 1000 })),
          body: t.String({ maxLength: 50_000 }),
          website: t.Optional(t.String({ maxLength: 1000 })),
        }),
      },
    );
}
