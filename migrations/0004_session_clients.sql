-- WriteKit blog schema, version 4: where each sign-in came from, so the author can see every
-- browser signed in as them (settings, "Where you are signed in") and end the others. Written at
-- sign-in; an export or backup drops every session row, so these never leave the server.
ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT '';      -- the client's address as the server saw it
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';  -- the browser's User-Agent, cut to 300 characters
