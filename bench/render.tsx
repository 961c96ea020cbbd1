// One reader page rendered as its route does on a page-cache miss, with nothing around it: open the
// blog, run the route's queries, render the page or feed to a string, close. This is the only file
// of the floor (bench/floor.ts) that calls the product: when src/ moves or renames these functions,
// fix the imports and calls here and nowhere else. Kept in step with src/web/reader/routes.tsx,
// cache.ts (servePage) and site.ts (readBlog): a closed blog is opened the way a render opens
// one (a brief connection in exclusive locking mode, see src/tenants/open.ts).
import { listApprovedComments } from "../src/blog/comments.ts";
import { customCssPath } from "../src/blog/customcss.ts";
import { atomFeed, FEED_SIZE } from "../src/blog/feed.ts";
import {
  getVisiblePost,
  listVisiblePosts,
  listVisiblePostsFull,
  listVisiblePostsWithTag,
  nextScheduledTime,
  normaliseTag,
} from "../src/blog/posts.ts";
import { parseMenu } from "../src/blog/menu.ts";
import { getSettings } from "../src/blog/settings.ts";
import { openBlogDatabase } from "../src/tenants/open.ts";
import { HomePage } from "../src/web/reader/pages/HomePage.tsx";
import { PostPage } from "../src/web/reader/pages/PostPage.tsx";
import { TagPage } from "../src/web/reader/pages/TagPage.tsx";
import type { MixPage } from "./mixload.ts";

/** Opens the blog file at `path`, renders `page` for `origin` (e.g. http://mix-00001.localhost), closes it; returns the body's length. */
export function renderMiss(path: string, name: string, origin: string, page: MixPage, now: Date): number {
  const db = openBlogDatabase(path, { exclusive: true });
  try {
    const settings = getSettings(db);
    const chrome = {
      title: settings.title || name,
      description: settings.description,
      origin,
      customCssPath: customCssPath(settings.custom_css),
      menu: parseMenu(settings.menu),
    };
    const per = settings.posts_per_page;
    let body: string;
    switch (page.kind) {
      case "post": {
        const post = getVisiblePost(db, page.slug, now);
        if (!post) throw new Error(`no post ${page.slug} in ${name}`);
        body = String(
          <PostPage
            blog={chrome}
            post={post}
            comments={listApprovedComments(db, post.id)}
            policy={settings.comment_policy}
            timeZone={settings.time_zone}
          />,
        );
        break;
      }
      case "home": {
        const { items, total } = listVisiblePosts(db, { limit: per, offset: 0, now });
        body = String(
          <HomePage
            blog={chrome}
            posts={items}
            page={1}
            pages={Math.max(1, Math.ceil(total / per))}
            timeZone={settings.time_zone}
          />,
        );
        break;
      }
      case "feed": {
        const posts = listVisiblePostsFull(db, { limit: FEED_SIZE, now });
        const updated = posts.reduce(
          (max, p) => (p.updated_at > max ? p.updated_at : max),
          posts[0]?.published_at ?? "1970-01-01T00:00:00Z",
        );
        body = atomFeed({ settings, name, origin, posts, updated: new Date(updated) });
        break;
      }
      case "tag": {
        const tag = normaliseTag(page.tag);
        const { items, total } = listVisiblePostsWithTag(db, tag, { limit: per, offset: 0, now });
        body = String(
          <TagPage
            blog={chrome}
            tag={tag}
            posts={items}
            page={1}
            pages={Math.max(1, Math.ceil(total / per))}
            total={total}
            timeZone={settings.time_zone}
          />,
        );
        break;
      }
    }
    // servePage asks this on every render, to know when a scheduled post will change the page.
    nextScheduledTime(db, now);
    return body.length;
  } finally {
    db.close();
  }
}
