-- WriteKit blog schema, version 2: images in the blog's own file, and pages. Its data step
-- (blog/migrations.ts) then re-renders every post, since code highlighting, footnotes and heading
-- anchors change the stored HTML.

-- Images the author uploaded, each stored once (its SHA-256 is its name: /media/<sha256>.<ext>).
-- `type` is read from the file's first bytes, never from its name; width and height from its
-- header. `data` comes last so that reading the other columns never walks the blob's pages.
-- A rowid table rather than WITHOUT ROWID, which suits small rows only.
CREATE TABLE media (
  sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  type       TEXT NOT NULL CHECK (type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif')),
  bytes      INTEGER NOT NULL CHECK (bytes > 0),
  width      INTEGER NOT NULL CHECK (width > 0),
  height     INTEGER NOT NULL CHECK (height > 0),
  alt        TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  data       BLOB NOT NULL CHECK (typeof(data) = 'blob' AND length(data) = bytes)
);

-- A page (About, Now, Contact) is a post row with kind = 'page': it answers at /<slug> like a
-- post but stays out of the home list, tag pages, feeds and search. Post and page slugs share
-- one namespace because both are /<slug>. The menu shown on reader pages is the setting `menu`
-- (a JSON list of {"label", "url"}), so it needs no table.
ALTER TABLE posts ADD COLUMN kind TEXT NOT NULL DEFAULT 'post' CHECK (kind IN ('post', 'page'));

-- Lists and feeds read the newest visible posts of one kind; this index gives them in order.
DROP INDEX posts_by_date;
CREATE INDEX posts_by_kind_date ON posts (kind, published_at) WHERE status != 'draft';
