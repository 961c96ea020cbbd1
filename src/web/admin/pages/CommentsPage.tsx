// The moderation queue: pending comments (or approved / spam ones), each with its own buttons, and
// checkboxes for doing the same to many at once. One form, no script: every button posts it.
import type { CommentStatus, ModeratedComment } from "../../../blog/moderation.ts";
import { formatDateTime } from "../../../blog/zones.ts";
import { Pager } from "../../components/Pager.tsx";
import { AdminLayout, CsrfField, Notice, type Chrome } from "./AdminLayout.tsx";

export interface CommentsPageProps {
  chrome: Chrome;
  status: CommentStatus;
  comments: ModeratedComment[];
  counts: Record<CommentStatus, number>;
  page: number;
  pages: number;
  timeZone: string;
  notice?: string;
}

const TABS: [CommentStatus, string][] = [
  ["pending", "Waiting"],
  ["approved", "Approved"],
  ["spam", "Spam"],
];

const EMPTY: Record<CommentStatus, string> = {
  pending: "No comments are waiting. New ones appear here before readers see them.",
  approved: "No approved comments yet.",
  spam: "Nothing marked as spam.",
};

export function CommentsPage({
  chrome,
  status,
  comments,
  counts,
  page,
  pages,
  timeZone,
  notice,
}: CommentsPageProps): JSX.Element {
  return (
    <AdminLayout title="Comments" chrome={chrome} section="comments">
      <div class="page-head">
        <h1>Comments</h1>
      </div>
      <nav class="tabs" aria-label="Comment lists">
        {TABS.map(([s, label]) => (
          <a
            href={s === "pending" ? "/admin/comments" : `/admin/comments?status=${s}`}
            aria-current={s === status ? "page" : undefined}
            safe
          >
            {`${label} (${counts[s]})`}
          </a>
        ))}
      </nav>
      {notice ? <Notice>{<span safe>{notice}</span>}</Notice> : ""}
      {comments.length === 0 ? (
        <p class="empty" safe>
          {EMPTY[status]}
        </p>
      ) : (
        <form method="post" action="/admin/comments">
          <CsrfField token={chrome.csrf} />
          <input type="hidden" name="status" value={status} />
          <input type="hidden" name="page" value={String(page)} />
          <ul class="comment-queue">
            {comments.map((c) => (
              <li>
                <div class="comment-head">
                  <label class="pick">
                    <input type="checkbox" name="id" value={String(c.id)} />
                    <strong safe>{c.author_name}</strong>
                  </label>
                  <span class="meta">
                    {c.author_email ? <span safe>{`${c.author_email} · `}</span> : ""}
                    <span safe>{formatDateTime(c.created_at, timeZone)}</span>
                    {" · on "}
                    <a href={`/admin/posts/${c.post_id}`} safe>
                      {c.post_title}
                    </a>
                  </span>
                </div>
                <p class="comment-body" safe>
                  {c.body}
                </p>
                <div class="actions small">
                  {status !== "approved" ? (
                    <button type="submit" name="act" value={`approve:${c.id}`} class="secondary">
                      Approve
                    </button>
                  ) : (
                    ""
                  )}
                  {status !== "spam" ? (
                    <button type="submit" name="act" value={`spam:${c.id}`} class="secondary">
                      Spam
                    </button>
                  ) : (
                    ""
                  )}
                  <button type="submit" name="act" value={`delete:${c.id}`} class="secondary danger-text">
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <div class="bulk">
            <span class="meta">With the ticked comments:</span>
            <div class="actions">
              {status !== "approved" ? (
                <button type="submit" name="act" value="approve">
                  Approve selected
                </button>
              ) : (
                ""
              )}
              {status !== "spam" ? (
                <button type="submit" name="act" value="spam" class="secondary">
                  Mark selected as spam
                </button>
              ) : (
                ""
              )}
              <button type="submit" name="act" value="delete" class="secondary danger-text">
                Delete selected
              </button>
            </div>
          </div>
        </form>
      )}
      <Pager
        page={page}
        pages={pages}
        base={status === "pending" ? "/admin/comments" : `/admin/comments?status=${status}`}
      />
    </AdminLayout>
  );
}
