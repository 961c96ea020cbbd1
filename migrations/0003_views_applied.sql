-- WriteKit blog schema, version 3: page views are journaled by the server (DATA/views/) and added
-- to posts.views and daily_views in batches; this records which batch of which journal this blog
-- has already taken, so a journal left behind by a crash is added once, never twice.
CREATE TABLE views_applied (
  journal TEXT PRIMARY KEY,               -- the id of the server's journal (DATA/views/journal-id)
  segment INTEGER NOT NULL                -- the last segment of that journal added to this blog
) WITHOUT ROWID;
