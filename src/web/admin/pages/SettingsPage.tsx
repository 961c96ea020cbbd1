// The blog's settings, in separate forms so each saves only what it shows: the blog itself, its
// menu, its icon (chosen on the Media page), its custom domain, its custom stylesheet, the
// author's password and sessions, and the download of the whole blog.
//
// Long because it is several forms on one page, laid out field by field; the markup is most of it.
import type { CommentPolicy } from "../../../blog/settings.ts";
import { CUSTOM_CSS_LIMIT } from "../../../blog/customcss.ts";
import { MIN_PASSWORD_LENGTH } from "../../../blog/authors.ts";
import type { SessionInfo } from "../../../blog/sessions.ts";
import { formatDateTime } from "../../../blog/zones.ts";
import { AdminLayout, CsrfField, FieldError, Notice, type Chrome } from "./AdminLayout.tsx";

export interface GeneralValues {
  title: string;
  description: string;
  author_name: string;
  posts_per_page: string;
  comment_policy: string;
  time_zone: string;
}

export type FormErrors = Partial<Record<string, string>>;

export interface DomainStatus {
  domain: string;
  live: boolean;
  /** Where the proof goes: `_writekit.<domain>`. */
  record: string;
  /** What the TXT record must say; empty when the blog has none yet (Check now makes one). */
  token: string;
}

/** What the author sees of a claimed domain: that it answers, or the record that would prove it. */
function DomainClaim({ status, csrf }: { status: DomainStatus; csrf: string }): JSX.Element {
  if (status.live) {
    return (
      <p>
        <strong safe>{status.domain}</strong> is live: its DNS proved it is yours, and the blog answers at it.
      </p>
    );
  }
  return (
    <div class="stack">
      <p>
        <strong safe>{status.domain}</strong> is <strong>pending</strong>: the blog does not answer at it until the
        domain's DNS proves it is yours. Create this DNS record where the domain's DNS is managed, then press Check now:
      </p>
      <table class="sessions-table">
        <tbody>
          <tr>
            <th scope="row">Type</th>
            <td>TXT</td>
          </tr>
          <tr>
            <th scope="row">Name</th>
            <td>
              <code safe>{status.record}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">Value</th>
            <td>{status.token ? <code safe>{status.token}</code> : "press Check now to get one"}</td>
          </tr>
        </tbody>
      </table>
      <form method="post" action="/admin/settings/domain/check">
        <CsrfField token={csrf} />
        <button type="submit">Check now</button>
      </form>
    </div>
  );
}

export interface SettingsPageProps {
  chrome: Chrome;
  general: GeneralValues;
  /** The menu as its textarea shows it: one `Label | URL` a line. */
  menu: string;
  /** Pages and tags a menu may link to, as suggestions. */
  linkable: { label: string; url: string }[];
  /** The blog's icon, when it chose one. */
  icon?: { url: string; alt: string };
  css: string;
  domain: string;
  /** Every time zone to choose from. */
  zones: string[];
  /** Address of the blog under the instance's own domain, e.g. "alice.blogs.example.com". */
  ownHost: string;
  /** The custom domain claimed, if any: live, or pending until its DNS proves the claim. */
  domainStatus: DomainStatus | null;
  /** The author's live sessions (where they are signed in). */
  sessions: SessionInfo[];
  /** The blog's time zone, for the sessions' times. */
  timeZone: string;
  errors?: FormErrors;
  notice?: { kind: "ok" | "bad"; text: string };
  /** Which form the errors or notice belong to. */
  form?: "general" | "menu" | "domain" | "css" | "password" | "sessions";
}

const POLICIES: [CommentPolicy, string][] = [
  ["moderate", "Hold for moderation"],
  ["approve", "Approve automatically"],
  ["off", "Off (no comment form)"],
];

function Err({ id, errors }: { id: string; errors: FormErrors }): JSX.Element {
  return <FieldError id={id} message={errors[id]} />;
}

function invalid(errors: FormErrors, id: string): string | undefined {
  return errors[id] ? "true" : undefined;
}

function SessionRow({ session, timeZone }: { session: SessionInfo; timeZone: string }): JSX.Element {
  return (
    <tr>
      <td safe>{formatDateTime(session.createdAt, timeZone)}</td>
      <td safe>{session.client || "not recorded"}</td>
      <td>
        <span safe>{session.userAgent || "not recorded"}</span>
        {session.isCurrent ? <strong> (this browser)</strong> : ""}
      </td>
    </tr>
  );
}

export function SettingsPage({
  chrome,
  general,
  menu,
  linkable,
  icon,
  css,
  domain,
  zones,
  ownHost,
  domainStatus,
  sessions,
  timeZone,
  errors = {},
  notice,
  form,
}: SettingsPageProps): JSX.Element {
  const noticeFor = (name: SettingsPageProps["form"]) =>
    notice && form === name ? <Notice kind={notice.kind}>{<span safe>{notice.text}</span>}</Notice> : "";
  const errs = (name: SettingsPageProps["form"]) => (form === name ? errors : {});
  const g = errs("general");
  const m = errs("menu");
  const d = errs("domain");
  const c = errs("css");
  const p = errs("password");
  return (
    <AdminLayout title="Settings" chrome={chrome} section="settings">
      <div class="page-head">
        <h1>Settings</h1>
      </div>
      <div class="settings">
        <section class="card" id="blog">
          <h2>Your blog</h2>
          {noticeFor("general")}
          <form class="stack" method="post" action="/admin/settings">
            <CsrfField token={chrome.csrf} />
            <div class={g.title ? "field invalid" : "field"}>
              <label for="title">Blog title</label>
              <input
                type="text"
                id="title"
                name="title"
                value={general.title}
                maxlength="200"
                aria-invalid={invalid(g, "title")}
              />
              <Err id="title" errors={g} />
            </div>
            <div class={g.description ? "field invalid" : "field"}>
              <label for="description">Description</label>
              <textarea
                id="description"
                name="description"
                rows="2"
                maxlength="500"
                class="short"
                aria-invalid={invalid(g, "description")}
                safe
              >
                {general.description}
              </textarea>
              <Err id="description" errors={g} />
            </div>
            <div class="field-row">
              <div class={g.author_name ? "field invalid" : "field"}>
                <label for="author_name">Author name</label>
                <input
                  type="text"
                  id="author_name"
                  name="author_name"
                  value={general.author_name}
                  maxlength="100"
                  autocomplete="name"
                  aria-invalid={invalid(g, "author_name")}
                />
                <Err id="author_name" errors={g} />
              </div>
              <div class={g.posts_per_page ? "field invalid" : "field"}>
                <label for="posts_per_page">Posts per page</label>
                <input
                  type="number"
                  id="posts_per_page"
                  name="posts_per_page"
                  value={general.posts_per_page}
                  min="1"
                  max="100"
                  inputmode="numeric"
                  aria-invalid={invalid(g, "posts_per_page")}
                />
                <Err id="posts_per_page" errors={g} />
              </div>
            </div>
            <div class="field-row">
              <div class={g.comment_policy ? "field invalid" : "field"}>
                <label for="comment_policy">Comments</label>
                <select id="comment_policy" name="comment_policy" aria-invalid={invalid(g, "comment_policy")}>
                  {POLICIES.map(([value, label]) => (
                    <option value={value} selected={general.comment_policy === value} safe>
                      {label}
                    </option>
                  ))}
                </select>
                <Err id="comment_policy" errors={g} />
              </div>
              <div class={g.time_zone ? "field invalid" : "field"}>
                <label for="time_zone">Time zone</label>
                <select id="time_zone" name="time_zone" aria-invalid={invalid(g, "time_zone")}>
                  {(zones.includes(general.time_zone) ? zones : [general.time_zone, ...zones]).map((z) => (
                    <option value={z} selected={general.time_zone === z} safe>
                      {z}
                    </option>
                  ))}
                </select>
                <Err id="time_zone" errors={g} />
              </div>
            </div>
            <div>
              <button type="submit">Save settings</button>
            </div>
          </form>
        </section>

        <section class="card" id="menu">
          <h2>Menu</h2>
          {noticeFor("menu")}
          <p class="meta">Links shown at the top of every page of the blog, after Home, in this order.</p>
          <form class="stack" method="post" action="/admin/settings/menu">
            <CsrfField token={chrome.csrf} />
            <div class={m.menu ? "field invalid" : "field"}>
              <label for="menu_links">Menu links</label>
              <textarea
                id="menu_links"
                name="menu"
                rows="5"
                spellcheck="false"
                aria-invalid={invalid(m, "menu")}
                aria-describedby={m.menu ? "menu_links-hint menu-error" : "menu_links-hint"}
                safe
              >
                {menu}
              </textarea>
              <p class="hint" id="menu_links-hint">
                One link a line, as <code>Label | URL</code>: a page or tag of this blog (<code>About | /about</code>),
                or any http or https address. Leave empty for no menu.
              </p>
              <Err id="menu" errors={m} />
              {linkable.length ? (
                <p class="hint">
                  {"Your pages and tags: "}
                  {linkable.map((l, i) => (
                    <>
                      {i > 0 ? ", " : ""}
                      <code safe>{`${l.label} | ${l.url}`}</code>
                    </>
                  ))}
                </p>
              ) : (
                ""
              )}
            </div>
            <div>
              <button type="submit">Save menu</button>
            </div>
          </form>
        </section>

        <section class="card" id="icon">
          <h2>Icon</h2>
          {icon ? (
            <p class="icon-choice">
              <img src={icon.url} alt={icon.alt} width="48" height="48" />
              <span>
                {"The blog's icon, shown in browser tabs and on phones' home screens. "}
                <a href="/admin/media">Choose another on the Media page</a>.
              </span>
            </p>
          ) : (
            <p>
              {
                "The blog uses WriteKit's default icon. To use your own, upload a square image (at least 180 × 180 pixels) on the "
              }
              <a href="/admin/media">Media page</a>
              {" and choose “Use as the blog's icon”."}
            </p>
          )}
        </section>

        <section class="card" id="domain">
          <h2>Custom domain</h2>
          {noticeFor("domain")}
          <p
            class="meta"
            safe
          >{`Your blog is always at ${ownHost}. To also serve it at a domain of your own, point the domain's DNS at this server, enter it here, and prove it is yours with the DNS record shown once it is saved.`}</p>
          {domainStatus ? <DomainClaim status={domainStatus} csrf={chrome.csrf} /> : ""}
          <form class="stack" method="post" action="/admin/settings/domain">
            <CsrfField token={chrome.csrf} />
            <div class={d.domain ? "field invalid" : "field"}>
              <label for="domain_name">Domain</label>
              <input
                type="text"
                id="domain_name"
                name="domain"
                value={domain}
                maxlength="253"
                placeholder="blog.example.com"
                autocapitalize="none"
                spellcheck="false"
                aria-invalid={invalid(d, "domain")}
              />
              <p class="hint">Leave empty to stop using a custom domain.</p>
              <Err id="domain" errors={d} />
            </div>
            <div>
              <button type="submit">Save domain</button>
            </div>
          </form>
        </section>

        <section class="card" id="css">
          <h2>Custom CSS</h2>
          {noticeFor("css")}
          <p
            class="meta"
            safe
          >{`Added after the blog's own stylesheet on every reader page (not on these admin pages). Up to ${CUSTOM_CSS_LIMIT.toLocaleString("en")} characters.`}</p>
          <form class="stack" method="post" action="/admin/settings/css">
            <CsrfField token={chrome.csrf} />
            <div class={c.css ? "field invalid" : "field"}>
              <label for="custom_css">Stylesheet</label>
              <textarea id="custom_css" name="css" rows="10" spellcheck="false" aria-invalid={invalid(c, "css")} safe>
                {css}
              </textarea>
              <Err id="css" errors={c} />
            </div>
            <div>
              <button type="submit">Save CSS</button>
            </div>
          </form>
        </section>

        <section class="card" id="password">
          <h2>Change password</h2>
          {noticeFor("password")}
          <form class="stack" method="post" action="/admin/password">
            <CsrfField token={chrome.csrf} />
            <input
              type="email"
              name="username"
              value={chrome.email}
              autocomplete="username"
              class="hp"
              tabindex="-1"
              aria-hidden="true"
              readonly
            />
            <div class={p.current ? "field invalid" : "field"}>
              <label for="current">Current password</label>
              <input
                type="password"
                id="current"
                name="current"
                maxlength="1000"
                autocomplete="current-password"
                aria-invalid={invalid(p, "current")}
              />
              <Err id="current" errors={p} />
            </div>
            <div class={p.password ? "field invalid" : "field"}>
              <label for="new_password">New password</label>
              <input
                type="password"
                id="new_password"
                name="password"
                maxlength="1000"
                autocomplete="new-password"
                aria-invalid={invalid(p, "password")}
              />
              <p class="hint">{`At least ${MIN_PASSWORD_LENGTH} characters.`}</p>
              <Err id="password" errors={p} />
            </div>
            <div class={p.confirm ? "field invalid" : "field"}>
              <label for="confirm">New password again</label>
              <input
                type="password"
                id="confirm"
                name="confirm"
                maxlength="1000"
                autocomplete="new-password"
                aria-invalid={invalid(p, "confirm")}
              />
              <Err id="confirm" errors={p} />
            </div>
            <div>
              <button type="submit">Change password</button>
            </div>
          </form>
        </section>

        <section class="card" id="sessions">
          <h2>Where you are signed in</h2>
          {noticeFor("sessions")}
          <table class="sessions-table">
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">From</th>
                <th scope="col">Browser</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <SessionRow session={session} timeZone={timeZone} />
              ))}
            </tbody>
          </table>
          <form class="stack" method="post" action="/admin/sign-out-everywhere">
            <CsrfField token={chrome.csrf} />
            <p class="meta">
              Ends every session listed here except this browser's (to end this one too, use Sign out). A session you do
              not recognise may mean someone knows your password: change it as well.
            </p>
            <div>
              <button type="submit" class="secondary">
                Sign out everywhere else
              </button>
            </div>
          </form>
        </section>

        <section class="card" id="export">
          <h2>Your data</h2>
          <p>
            Download the whole blog (posts, comments, tags, settings and view counts) as one SQLite file. It opens in
            the sqlite3 command line tool or DB Browser for SQLite; it holds no passwords or sign-in sessions.
          </p>
          <p>
            <a class="button secondary" href="/admin/export" download="">
              Download export (.db)
            </a>
          </p>
        </section>
      </div>
    </AdminLayout>
  );
}
