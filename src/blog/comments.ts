// Readers' comments: adding one (committed before the reader gets an answer) and listing the
// approved ones under a post. Moderation lives in moderation.ts.
import type { Database } from "bun:sqlite";
import { renderCommentText } from "./markdown.ts";
import { isoTime } from "./time.ts";

export interface Comment {
  id: number;
  post_id: number;
  author_name: string;
  author_email: string | null;
  body: string;
  status: "pending" | "approved" | "spam";
  created_at: string;
}

export interface PublicComment {
  id: number;
  author_name: string;
  created_at: string;
  /** Escaped plain text with paragraphs and safe links (renderCommentText). */
  html: string;
}

export const COMMENT_LIMITS = { name: 80, email: 254, body: 5000 } as const;

export function addComment(
  db: Database,
  input: { postId: number; name: string; email?: string | null; body: string; status: "pending" | "approved" },
  now = new Date(),
): number {
  const row = db
    .query(
      "INSERT INTO comments (post_id, author_name, author_email, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .get(input.postId, input.name, input.email || null, input.body, input.status, isoTime(now)) as { id: number };
  return row.id;
}

export function listApprovedComments(db: Database, postId: number): PublicComment[] {
  const rows = db
    .query(
      "SELECT id, author_name, created_at, body FROM comments WHERE post_id = ? AND status = 'approved' ORDER BY created_at, id",
    )
    .all(postId) as { id: number; author_name: string; created_at: string; body: string }[];
  return rows.map((r) => ({
    id: r.id,
    author_name: r.author_name,
    created_at: r.created_at,
    html: renderCommentText(r.body),
  }));
}
