-- WriteKit blog schema, version 4: where each sign-in came from, and custom domains that need proof.

-- Where each sign-in came from, so the author can see every browser signed in as them (Settings,
-- "Where you are signed in") and end the others. Written at sign-in; an export or backup drops
-- every session row, so these never leave the server.
ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT '';      -- the client's address as the server saw it
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';  -- the browser's User-Agent, cut to 300 characters

-- A custom domain now goes live only once a TXT record at _writekit.<domain> holds the blog's
-- token (settings domain_token), and the settings record which domain was proven (domain_proven).
-- A domain set before this version was already live, answered by the server and given
-- certificates: it is kept as proven rather than taken offline by an upgrade.
INSERT OR REPLACE INTO settings (key, value)
  SELECT 'domain_proven', value FROM settings WHERE key = 'custom_domain' AND value != '';
