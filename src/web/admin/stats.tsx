// Stats: what the batched view counter wrote (daily_views, posts.views), read only.
import { Elysia } from "elysia";
import { dailyViews, totalViews, viewsPerPost } from "../../blog/stats.ts";
import type { Services } from "../services.ts";
import { authorContext } from "./author.tsx";
import { adminPage } from "./context.tsx";
import { StatsPage } from "./pages/StatsPage.tsx";

export function statsRoutes(services: Services) {
  return new Elysia({ name: "admin-stats" })
    .use(authorContext(services))
    .get(
      "/admin/stats",
      ({ admin }) => {
        const days = dailyViews(admin.blog.db, services.now(), 30);
        const posts = viewsPerPost(admin.blog.db, days[0].day);
        return adminPage(<StatsPage chrome={admin.chrome} days={days} posts={posts} total={totalViews(admin.blog.db)} />);
      },
      { author: true },
    );
}
