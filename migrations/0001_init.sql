-- WriteKit blog schema, version 1. Every blog is one SQLite file with these tables; there is no
-- tenant_id anywhere. Times are ISO 8601 UTC text ('2026-11-25T09:30:00Z') so they read well in sqlite3.

-- One row per setting: title, description, author_name, posts_per_page, comment_policy,
-- custom_css, time_zone, custom_domain.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE authors (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,            -- argon2id (Bun.password); blanked in exports
  created_at    TEXT NOT NULL
);

-- Only the SHA-256 of a session token is stored; the token itself lives in the author's cookie.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  author_id  INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE posts (
  id           INTEGER PRIMARY KEY,
  slug         TEXT NOT NULL UNIQUE,
  title        TEXT NOT NULL,
  body         TEXT NOT NULL DEFAULT '',   -- Markdown, as the author wrote it
  html         TEXT NOT NULL DEFAULT '',   -- rendered and sanitised once, when saved
  excerpt      TEXT NOT NULL DEFAULT '',   -- plain-text opening, for lists and feeds
  status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'scheduled')),
  published_at TEXT,                       -- visible once status is published/scheduled and this is past
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  views        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_by_date ON posts (status, published_at DESC);

CREATE TABLE tags (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE post_tags (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  tag_id  INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_by_tag ON post_tags (tag_id, post_id);

CREATE TABLE comments (
  id           INTEGER PRIMARY KEY,
  post_id      INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  author_name  TEXT NOT NULL,
  author_email TEXT,
  body         TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'spam')),
  created_at   TEXT NOT NULL
);
CREATE INDEX comments_by_post ON comments (post_id, status, created_at);
CREATE INDEX comments_by_status ON comments (status, created_at);

-- Page views per post and day (UTC), written by the batched flusher.
CREATE TABLE daily_views (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  day     TEXT NOT NULL,                  -- 'YYYY-MM-DD'
  views   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (post_id, day)
) WITHOUT ROWID;

-- Every save keeps the version it replaced.
CREATE TABLE revisions (
  id         INTEGER PRIMARY KEY,
  post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  slug       TEXT NOT NULL,
  body       TEXT NOT NULL,
  tags       TEXT NOT NULL DEFAULT '',     -- comma-separated, as typed
  created_at TEXT NOT NULL
);
CREATE INDEX revisions_by_post ON revisions (post_id, id DESC);

-- Old slugs of published posts keep answering with a 301 to the post's current URL.
CREATE TABLE redirects (
  old_slug TEXT PRIMARY KEY,
  post_id  INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Full-text search over posts, kept in step by triggers (external content: no second copy of the text).
CREATE VIRTUAL TABLE posts_fts USING fts5 (title, body, content = 'posts', content_rowid = 'id', tokenize = 'porter unicode61');
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
