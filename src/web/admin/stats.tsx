// Stats: what the batched view counter wrote (daily_views, posts.views), read only.
import { Elysia } from "elysia";
import { dailyViews, totalViews, viewsPerPost, withPendingViews } from "../../blog/stats.ts";
import type { Services } from "../services.ts";
import { authorContext } from "./author.tsx";
import { adminPage } from "./context.tsx";
import { StatsPage } from "./pages/StatsPage.tsx";

export function statsRoutes(services: Services) {
  return new Elysia({ name: "admin-stats" }).use(authorContext(services)).get(
    "/admin/stats",
    ({ admin }) => {
      const db = admin.blog.db;
      const days = dailyViews(db, services.now(), 30);
      const stored = { days, posts: viewsPerPost(db, days[0].day), total: totalViews(db) };
      const stats = withPendingViews(db, stored, services.views.pendingRows(admin.blog.tenant.name));
      return adminPage(<StatsPage chrome={admin.chrome} days={stats.days} posts={stats.posts} total={stats.total} />);
    },
    { author: true },
  );
}
