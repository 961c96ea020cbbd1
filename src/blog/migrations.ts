// The blog's part of schema migrations: the data steps that follow a migration's SQL when SQL
// alone cannot make the change (tenants/migrate.ts runs each inside its migration's transaction).
// Importing this module provides them to migrate() in this process or Worker: every entry point
// that migrates blogs imports it (main.ts for the CLI and the server, transfer.ts for the snapshot
// Worker's `import FILE.db`), and migrate() refuses to migrate a blog without them, never skips them.
import { provideDataStep } from "../tenants/migrate.ts";
import { rerenderPosts } from "./posts.ts";

/** 0002: code highlighting, footnotes and heading anchors change the stored HTML of old posts. */
provideDataStep(2, (db) => void rerenderPosts(db));
