// Earlier versions of a post. updatePost (posts.ts) keeps the version it replaces on every save;
// here the author lists them and brings one back (which is itself a save, so nothing is lost).
import type { Database } from "bun:sqlite";
import { getPost, parseTags, PostError, updatePost, type Post } from "./posts.ts";

export interface Revision {
  id: number;
  post_id: number;
  title: string;
  slug: string;
  body: string;
  tags: string;
  created_at: string;
}

export type RevisionSummary = Pick<Revision, "id" | "title" | "slug" | "created_at"> & { length: number };

/** Newest first; a post saved often keeps every version, the editor shows the latest `limit`. */
export function listRevisions(db: Database, postId: number, limit = 50): RevisionSummary[] {
  return db
    .query(
      "SELECT id, title, slug, created_at, length(body) AS length FROM revisions WHERE post_id = ? ORDER BY id DESC LIMIT ?",
    )
    .all(postId, limit) as RevisionSummary[];
}

export function countRevisions(db: Database, postId: number): number {
  return (db.query("SELECT count(*) AS n FROM revisions WHERE post_id = ?").get(postId) as { n: number }).n;
}

export function getRevision(db: Database, postId: number, revisionId: number): Revision | null {
  return db
    .query("SELECT id, post_id, title, slug, body, tags, created_at FROM revisions WHERE id = ? AND post_id = ?")
    .get(revisionId, postId) as Revision | null;
}

/**
 * Makes a revision the post's current text (title, slug, body, tags), keeping its status and date.
 * The version it replaces becomes a revision in turn. Throws ConflictError when the post changed
 * since `expectedUpdatedAt`, PostError when the old slug is now used by another post.
 */
export function restoreRevision(
  db: Database,
  postId: number,
  revisionId: number,
  options: { expectedUpdatedAt: string; now: Date },
): Post {
  const current = getPost(db, postId);
  const revision = getRevision(db, postId, revisionId);
  if (!current || !revision) throw new PostError("title", "This version no longer exists.");
  return updatePost(
    db,
    postId,
    {
      title: revision.title,
      body: revision.body,
      slug: revision.slug,
      tags: parseTags(revision.tags),
      status: current.status === "draft" ? "draft" : "published",
      publishedAt: current.published_at,
    },
    options,
  );
}
