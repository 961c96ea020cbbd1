// Moderating readers' comments: the author's queue of pending ones, approving, marking as spam and
// deleting, one at a time or many at once.
import type { Database } from "bun:sqlite";

export type CommentStatus = "pending" | "approved" | "spam";
export type ModerationAction = "approve" | "spam" | "delete";

export interface ModeratedComment {
  id: number;
  post_id: number;
  post_title: string;
  post_slug: string;
  author_name: string;
  author_email: string | null;
  body: string;
  status: CommentStatus;
  created_at: string;
}

/**
 * Most comments one blog holds waiting for moderation. Beyond it a new one is refused (429), so a
 * script that gets past the per-client limit from many addresses cannot grow the file and the
 * author's queue without bound; what is already waiting is never dropped.
 */
export const MAX_PENDING_COMMENTS = 500;

/** Most ids one bulk action accepts (a page of the queue). */
export const MAX_BULK = 200;

export function countComments(db: Database, status: CommentStatus): number {
  return (db.query("SELECT count(*) AS n FROM comments WHERE status = ?").get(status) as { n: number }).n;
}

/** Every comment of a post, whatever its status (for the delete confirmation). */
export function countCommentsOfPost(db: Database, postId: number): number {
  return (db.query("SELECT count(*) AS n FROM comments WHERE post_id = ?").get(postId) as { n: number }).n;
}

export function listComments(
  db: Database,
  status: CommentStatus,
  options: { limit: number; offset: number },
): ModeratedComment[] {
  // Pending ones oldest first (a queue); approved and spam newest first (a history).
  const order =
    status === "pending" ? "comments.created_at, comments.id" : "comments.created_at DESC, comments.id DESC";
  return db
    .query(
      `SELECT comments.id, comments.post_id, posts.title AS post_title, posts.slug AS post_slug, comments.author_name, comments.author_email, comments.body, comments.status, comments.created_at
       FROM comments JOIN posts ON posts.id = comments.post_id WHERE comments.status = ? ORDER BY ${order} LIMIT ? OFFSET ?`,
    )
    .all(status, options.limit, options.offset) as ModeratedComment[];
}

/** Applies one action to the given comments in one transaction; returns how many changed. */
export function moderateComments(db: Database, ids: number[], action: ModerationAction): number {
  const unique = [...new Set(ids)].slice(0, MAX_BULK);
  return db.transaction(() => {
    let changed = 0;
    for (const id of unique) {
      if (action === "delete") changed += db.query("DELETE FROM comments WHERE id = ?").run(id).changes;
      else
        changed += db
          .query("UPDATE comments SET status = ? WHERE id = ? AND status != ?")
          .run(action === "approve" ? "approved" : "spam", id, action === "approve" ? "approved" : "spam").changes;
    }
    return changed;
  })();
}
