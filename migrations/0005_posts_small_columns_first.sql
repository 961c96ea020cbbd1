-- WriteKit blog schema, version 5: the posts table with its small columns first and its two large
-- ones (html, then body) last.
--
-- SQLite stores a row's columns in order and spills what does not fit in its b-tree page into a
-- chain of overflow pages, which it can only walk from the start. With body and html (kilobytes
-- each) before excerpt, status, kind and published_at, every list of posts (the home page, tag
-- pages, search, the sitemap) read both of them, page by page, to reach the columns it wanted, and
-- a post page read the Markdown to reach its HTML. Now a list reads the head of each row and a post
-- page stops after html. On a blog file not in the kernel's cache, a home or tag page read this way
-- cost half as much (docs/BENCHMARKS.md).
--
-- A table's columns cannot be reordered in place: it is rebuilt as SQLite describes
-- (https://sqlite.org/lang_altertable.html#otheralter). migrate() turns foreign keys off around
-- every migration (DROP TABLE would otherwise delete every comment, tag link and view of every
-- post through ON DELETE CASCADE) and refuses to commit one that leaves new foreign key errors.
-- Ids are kept, so the full-text index (posts_fts, external content by rowid) stays valid.
CREATE TABLE posts_new (
  id           INTEGER PRIMARY KEY,
  slug         TEXT NOT NULL UNIQUE,
  title        TEXT NOT NULL,
  kind         TEXT NOT NULL DEFAULT 'post' CHECK (kind IN ('post', 'page')),
  status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'scheduled')),
  published_at TEXT,                       -- visible once status is published/scheduled and this is past
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  views        INTEGER NOT NULL DEFAULT 0,
  excerpt      TEXT NOT NULL DEFAULT '',   -- plain-text opening, for lists and feeds
  html         TEXT NOT NULL DEFAULT '',   -- rendered and sanitised once, when saved
  body         TEXT NOT NULL DEFAULT ''    -- Markdown, as the author wrote it (read only to edit)
);
INSERT INTO posts_new (id, slug, title, kind, status, published_at, created_at, updated_at, views, excerpt, html, body)
  SELECT id, slug, title, kind, status, published_at, created_at, updated_at, views, excerpt, html, body FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;

-- DROP TABLE took the table's index and triggers with it: the same ones again.
CREATE INDEX posts_by_kind_date ON posts (kind, published_at) WHERE status != 'draft';
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
  INSERT INTO posts_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO posts_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
