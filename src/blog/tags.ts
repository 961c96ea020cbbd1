// Tags of posts, and the tag lists readers browse.
import type { Database } from "bun:sqlite";
import { isoTime } from "./time.ts";

export function tagsOfPost(db: Database, postId: number): string[] {
  return (
    db
      .query(
        "SELECT tags.name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id WHERE post_tags.post_id = ? ORDER BY tags.name",
      )
      .all(postId) as { name: string }[]
  ).map((r) => r.name);
}

/** The tags of several posts in one query (a list page would otherwise ask once per post). */
export function tagsOfPosts(db: Database, postIds: number[]): Map<number, string[]> {
  const rows = db
    .query(
      "SELECT post_tags.post_id AS id, tags.name AS name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id WHERE post_tags.post_id IN (SELECT value FROM json_each(?)) ORDER BY tags.name",
    )
    .all(JSON.stringify(postIds)) as { id: number; name: string }[];
  const byPost = new Map<number, string[]>();
  for (const { id, name } of rows) {
    const list = byPost.get(id);
    if (list) list.push(name);
    else byPost.set(id, [name]);
  }
  return byPost;
}

/** Replaces a post's tags with `names` (already normalised), dropping tags no post uses any more. */
export function setPostTags(db: Database, postId: number, names: string[]): void {
  db.query("DELETE FROM post_tags WHERE post_id = ?").run(postId);
  for (const name of names) {
    db.query("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING").run(name);
    db.query("INSERT OR IGNORE INTO post_tags (post_id, tag_id) SELECT ?, id FROM tags WHERE name = ?").run(
      postId,
      name,
    );
  }
  db.query("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM post_tags)").run();
}

/** Tags with at least one visible post (pages are not counted), with how many. */
export function listVisibleTags(db: Database, now: Date): { name: string; count: number }[] {
  return db
    .query(
      "SELECT tags.name AS name, count(*) AS count FROM tags JOIN post_tags ON post_tags.tag_id = tags.id JOIN posts ON posts.id = post_tags.post_id WHERE posts.kind = 'post' AND posts.status != 'draft' AND posts.published_at <= ? GROUP BY tags.id ORDER BY tags.name",
    )
    .all(isoTime(now)) as { name: string; count: number }[];
}
