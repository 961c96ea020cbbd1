// Moderation: the queue of pending comments, approved and spam ones, and approving, marking as spam
// or deleting them one at a time or ticked together.
import { Elysia, t } from "elysia";
import {
  countComments,
  listComments,
  MAX_BULK,
  moderateComments,
  type CommentStatus,
  type ModerationAction,
} from "../../blog/moderation.ts";
import type { Services } from "../services.ts";
import { authorContext } from "./author.tsx";
import { adminPage, adminRedirect, refusal } from "./context.tsx";
import { CommentsPage } from "./pages/CommentsPage.tsx";

const PER_PAGE = 50;
const STATUSES: CommentStatus[] = ["pending", "approved", "spam"];
const DONE = new Map<string, string>([
  ["approve", "approved"],
  ["spam", "marked as spam"],
  ["delete", "deleted"],
]);

function statusOf(raw: string | undefined): CommentStatus | null {
  if (raw === undefined || raw === "") return "pending";
  return (STATUSES as string[]).includes(raw) ? (raw as CommentStatus) : null;
}

function listPath(status: CommentStatus, page: number, done?: { action: ModerationAction; count: number }): string {
  const query = new URLSearchParams();
  if (status !== "pending") query.set("status", status);
  if (page > 1) query.set("page", String(page));
  if (done) {
    query.set("done", done.action);
    query.set("n", String(done.count));
  }
  const q = query.toString();
  return q ? `/admin/comments?${q}` : "/admin/comments";
}

export function commentRoutes(services: Services) {
  return new Elysia({ name: "admin-comments" })
    .use(authorContext(services))
    .get(
      "/admin/comments",
      ({ admin, query }) => {
        const status = statusOf(query.status);
        const page = /^[1-9]\d{0,5}$/.test(query.page ?? "1") ? Number(query.page ?? 1) : null;
        if (!status || !page)
          return refusal(
            admin.blog,
            404,
            "No such list",
            "Comments are listed as waiting, approved or spam, a page at a time.",
          );
        const db = admin.blog.db;
        const counts = {
          pending: admin.chrome.pending,
          approved: countComments(db, "approved"),
          spam: countComments(db, "spam"),
        };
        const pages = Math.max(1, Math.ceil(counts[status] / PER_PAGE));
        // After a bulk action the last page may have emptied: show the one that is left.
        const shown = Math.min(page, pages);
        const comments = listComments(db, status, { limit: PER_PAGE, offset: (shown - 1) * PER_PAGE });
        const did = DONE.get(query.done ?? "");
        const n = Number(query.n);
        const done = did && Number.isInteger(n) && n >= 0 ? `${n} comment${n === 1 ? "" : "s"} ${did}.` : undefined;
        return adminPage(
          <CommentsPage
            chrome={admin.chrome}
            status={status}
            comments={comments}
            counts={counts}
            page={shown}
            pages={pages}
            timeZone={admin.blog.settings.time_zone}
            notice={done}
          />,
        );
      },
      {
        author: true,
        query: t.Object({
          status: t.Optional(t.String({ maxLength: 20 })),
          page: t.Optional(t.String({ maxLength: 20 })),
          done: t.Optional(t.String({ maxLength: 20 })),
          n: t.Optional(t.String({ maxLength: 10 })),
        }),
      },
    )
    .post(
      "/admin/comments",
      ({ admin, body }) => {
        const status = statusOf(body.status) ?? "pending";
        const page = /^[1-9]\d{0,5}$/.test(body.page ?? "1") ? Number(body.page ?? 1) : 1;
        // "approve:12" acts on one comment (its own button); "approve" on every ticked one.
        const m = /^(approve|spam|delete)(?::([1-9]\d{0,11}))?$/.exec(body.act ?? "");
        if (!m)
          return refusal(
            admin.blog,
            400,
            "Nothing to do",
            "Choose what to do with the comments: approve, spam or delete.",
          );
        const action = m[1] as ModerationAction;
        const ticked = body.id === undefined ? [] : Array.isArray(body.id) ? body.id : [body.id];
        const ids = (m[2] ? [m[2]] : ticked).filter((id) => /^[1-9]\d{0,11}$/.test(id)).map(Number);
        if (ids.length === 0) return adminRedirect(listPath(status, page, undefined));
        const changed = moderateComments(admin.blog.db, ids, action);
        return adminRedirect(listPath(status, page, { action, count: changed }));
      },
      {
        author: true,
        body: t.Object({
          csrf: t.Optional(t.String({ maxLength: 100 })),
          act: t.Optional(t.String({ maxLength: 30 })),
          status: t.Optional(t.String({ maxLength: 20 })),
          page: t.Optional(t.String({ maxLength: 20 })),
          id: t.Optional(
            t.Union([t.String({ maxLength: 20 }), t.Array(t.String({ maxLength: 20 }), { maxItems: MAX_BULK })]),
          ),
        }),
      },
    );
}
