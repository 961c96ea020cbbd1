// Settings: the blog (title, description, author name, posts per page, comment policy, time zone),
// its menu, its custom domain, its custom stylesheet, and the author's password. Each form saves on its own
// and comes back with what was typed and a message beside any field that needs attention.
//
// Longer than most modules: one handler per form, each short; splitting them would scatter one
// page.
import { Elysia, t } from "elysia";
import { checkPasswordStrength, findAuthorByEmail, PasswordError, setAuthorPassword } from "../../blog/authors.ts";
import { cleanCustomCss, CUSTOM_CSS_LIMIT } from "../../blog/customcss.ts";
import { getMedia, mediaUrl } from "../../blog/media.ts";
import { getMenu, MENU_LIMITS, MenuError, setMenu, type MenuItem } from "../../blog/menu.ts";
import { listVisiblePages } from "../../blog/posts.ts";
import { listVisibleTags } from "../../blog/tags.ts";
import { tagHref } from "../components/PostMeta.tsx";
import { deleteOtherSessions, listSessions } from "../../blog/sessions.ts";
import { getSettings, updateSettings, type CommentPolicy, type Settings } from "../../blog/settings.ts";
import { isValidTimeZone, timeZones } from "../../blog/zones.ts";
import { checkDomainProof, isProofToken, newProofToken, proofRecordName } from "../../tenants/domainproof.ts";
import {
  claimDomain,
  DomainError,
  DomainTakenError,
  parseDomain,
  releaseDomain,
  type DomainRules,
} from "../../tenants/domains.ts";
import type { Services } from "../services.ts";
import { authorContext, type Admin } from "./author.tsx";
import { adminPage, adminRedirect } from "./context.tsx";
import { SettingsPage, type FormErrors, type GeneralValues, type SettingsPageProps } from "./pages/SettingsPage.tsx";
import { RateLimiter } from "../ratelimit.ts";
import { PASSWORD_BUSY_RETRY_S } from "../passwordgate.ts";
import { BUSY_MESSAGE, MAX_SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS } from "./login.tsx";

const csrf = t.Optional(t.String({ maxLength: 100 }));
const POLICIES = new Set(["moderate", "approve", "off"]);

const SAVED = new Map<string, [SettingsPageProps["form"], string]>([
  ["settings", ["general", "Settings saved."]],
  ["menu", ["menu", "Menu saved. It is on every reader page now."]],
  [
    "domain",
    ["domain", "Custom domain saved. It is pending: create the DNS record shown below, then press Check now."],
  ],
  [
    "domain-live",
    [
      "domain",
      "The domain's DNS proves it is yours: the blog answers at it now (once its address records point here).",
    ],
  ],
  ["domain-removed", ["domain", "The custom domain is removed."]],
  ["css", ["css", "Custom CSS saved. It is on every reader page now."]],
  [
    "css-cleaned",
    [
      "css",
      "Custom CSS saved. “<” characters were removed: CSS has no use for them, and they could end a style element.",
    ],
  ],
  ["css-removed", ["css", "Custom CSS removed."]],
  ["password", ["password", "Password changed. Any other browser signed in as you was signed out."]],
  ["sessions", ["sessions", "Signed out everywhere else: every other browser signed in as you must sign in again."]],
  ["sessions-none", ["sessions", "No other browser was signed in as you."]],
]);

function generalOf(s: Settings): GeneralValues {
  return {
    title: s.title,
    description: s.description,
    author_name: s.author_name,
    posts_per_page: String(s.posts_per_page),
    comment_policy: s.comment_policy,
    time_zone: s.time_zone,
  };
}

/** The menu as its textarea shows it. */
function menuText(items: MenuItem[]): string {
  return items.map((item) => `${item.label} | ${item.url}`).join("\n");
}

/** The menu typed as `Label | URL` lines (blank lines skipped; a label may hold "|", so the last one splits). */
function parseMenuText(text: string): MenuItem[] {
  const lines = text
    .split(/\r\n?|\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length > MENU_LIMITS.items)
    throw new MenuError(`A menu has at most ${MENU_LIMITS.items} links; this one has ${lines.length}.`);
  return lines.map((line, i) => {
    const bar = line.lastIndexOf("|");
    if (bar < 0)
      throw new MenuError(
        `Link ${i + 1} (“${line.slice(0, 60)}”) has no “|”: write it as Label | URL, like About | /about.`,
      );
    return { label: line.slice(0, bar), url: line.slice(bar + 1) };
  });
}

export function settingsRoutes(services: Services) {
  // A stolen session must not become a way to guess the current password quickly. Counted per
  // client, not per author: a thief's guesses must not lock the author out of changing it.
  const passwordThrottle = new RateLimiter(MAX_SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS);

  const rules = (): DomainRules => ({
    instanceDomain: services.config.domain,
    allowParentDomain: services.config.allowParentDomain,
  });

  /** A DomainError (or a taken domain) in words for the form, with its status; anything else is rethrown. */
  const domainRefusal = (e: unknown): [string, number] => {
    if (e instanceof DomainTakenError)
      return [
        `${e.domain} is already used by another blog on this server. If it is yours, release it there first.`,
        409,
      ];
    if (e instanceof DomainError) return [e.message.charAt(0).toUpperCase() + e.message.slice(1) + ".", 400];
    throw e;
  };

  const page = (
    admin: Admin,
    props: Partial<
      Omit<
        SettingsPageProps,
        "chrome" | "zones" | "ownHost" | "sessions" | "timeZone" | "domainStatus" | "linkable" | "icon"
      >
    > = {},
    status = 200,
    extra: Record<string, string> = {},
  ) => {
    const s = admin.blog.settings;
    const claimed = s.custom_domain;
    const db = admin.blog.db;
    const now = services.now();
    const linkable = [
      ...listVisiblePages(db, now).map((p) => ({ label: p.title, url: `/${p.slug}` })),
      ...listVisibleTags(db, now).map((t) => ({ label: t.name, url: tagHref(t.name) })),
    ];
    const icon = s.icon ? getMedia(db, s.icon) : null;
    return adminPage(
      <SettingsPage
        chrome={admin.chrome}
        general={props.general ?? generalOf(s)}
        menu={props.menu ?? menuText(getMenu(db))}
        linkable={linkable}
        icon={icon ? { url: mediaUrl(icon), alt: icon.alt } : undefined}
        css={props.css ?? s.custom_css}
        domain={props.domain ?? s.custom_domain}
        zones={timeZones()}
        sessions={listSessions(admin.blog.db, admin.session.authorId, services.now(), admin.token)}
        timeZone={s.time_zone}
        ownHost={`${admin.blog.tenant.name}.${services.config.domain}`}
        domainStatus={
          claimed
            ? {
                domain: claimed,
                live: services.customDomains.get(claimed) === admin.blog.tenant.name,
                record: proofRecordName(claimed),
                token: isProofToken(s.domain_token) ? s.domain_token : "",
              }
            : null
        }
        errors={props.errors}
        notice={props.notice}
        form={props.form}
      />,
      status,
      extra,
    );
  };

  return new Elysia({ name: "admin-settings" })
    .use(authorContext(services))
    .get(
      "/admin/settings",
      ({ admin, query }) => {
        const saved = SAVED.get(query.saved ?? "");
        return page(admin, saved ? { form: saved[0], notice: { kind: "ok", text: saved[1] } } : {});
      },
      { author: true, query: t.Object({ saved: t.Optional(t.String({ maxLength: 20 })) }) },
    )
    .post(
      "/admin/settings",
      ({ admin, body }) => {
        const values: GeneralValues = {
          title: body.title.trim(),
          description: body.description.trim(),
          author_name: body.author_name.trim(),
          posts_per_page: body.posts_per_page.trim(),
          comment_policy: body.comment_policy,
          time_zone: body.time_zone.trim(),
        };
        const errors: FormErrors = {};
        if (!values.title) errors.title = "A blog needs a title.";
        else if (values.title.length > 200)
          errors.title = `At most 200 characters; this one has ${values.title.length}.`;
        if (values.description.length > 500)
          errors.description = `At most 500 characters; this one has ${values.description.length}.`;
        if (values.author_name.length > 100)
          errors.author_name = `At most 100 characters; this one has ${values.author_name.length}.`;
        const perPage = Number(values.posts_per_page);
        if (!/^\d{1,3}$/.test(values.posts_per_page) || perPage < 1 || perPage > 100)
          errors.posts_per_page = "A whole number from 1 to 100.";
        if (!POLICIES.has(values.comment_policy)) errors.comment_policy = "Choose one of the three.";
        if (!isValidTimeZone(values.time_zone))
          errors.time_zone = "Choose a time zone from the list, like Europe/Berlin or UTC.";
        if (Object.keys(errors).length)
          return page(
            admin,
            {
              general: values,
              errors,
              form: "general",
              notice: { kind: "bad", text: "Nothing was saved: please check the fields marked below." },
            },
            400,
          );
        updateSettings(admin.blog.db, {
          title: values.title,
          description: values.description,
          author_name: values.author_name,
          posts_per_page: perPage,
          comment_policy: values.comment_policy as CommentPolicy,
          time_zone: values.time_zone,
        });
        return adminRedirect("/admin/settings?saved=settings");
      },
      {
        author: true,
        body: t.Object({
          csrf,
          title: t.String({ maxLength: 1000 }),
          description: t.String({ maxLength: 5000 }),
          author_name: t.String({ maxLength: 1000 }),
          posts_per_page: t.String({ maxLength: 20 }),
          comment_policy: t.String({ maxLength: 20 }),
          time_zone: t.String({ maxLength: 100 }),
        }),
      },
    )
    .post(
      "/admin/settings/menu",
      ({ admin, body }) => {
        try {
          setMenu(admin.blog.db, parseMenuText(body.menu));
        } catch (e) {
          if (e instanceof MenuError)
            return page(
              admin,
              {
                menu: body.menu,
                errors: { menu: e.message },
                form: "menu",
                notice: { kind: "bad", text: "The menu was not saved: please check it." },
              },
              400,
            );
          throw e;
        }
        return adminRedirect("/admin/settings?saved=menu#menu");
      },
      { author: true, body: t.Object({ csrf, menu: t.String({ maxLength: 20_000 }) }) },
    )
    .post(
      "/admin/settings/domain",
      // Claiming a domain makes it pending: it answers (and /tls-check approves it) only once its
      // DNS proves the claim, on "Check now". Pending claims do not block other blogs: the first to
      // prove a domain gets it.
      ({ admin, body }) => {
        const input = body.domain.trim();
        const name = admin.blog.tenant.name;
        const settings = admin.blog.settings;
        if (input === "") {
          releaseDomain(services.config.dataDir, services.customDomains, name);
          updateSettings(admin.blog.db, { custom_domain: "", domain_proven: "" });
          return adminRedirect("/admin/settings?saved=domain-removed#domain");
        }
        let domain: string;
        try {
          domain = parseDomain(input, rules());
          const owner = services.customDomains.get(domain);
          if (owner !== undefined && owner !== name) throw new DomainTakenError(domain, owner);
          if (owner === name && settings.custom_domain === domain)
            return adminRedirect("/admin/settings?saved=domain-live#domain");
        } catch (e) {
          const [message, status] = domainRefusal(e);
          return page(admin, { domain: input, errors: { domain: message }, form: "domain" }, status);
        }
        // One domain per blog: the one it had stops answering now.
        releaseDomain(services.config.dataDir, services.customDomains, name);
        const token = isProofToken(settings.domain_token) ? settings.domain_token : newProofToken();
        updateSettings(admin.blog.db, { custom_domain: domain, domain_token: token, domain_proven: "" });
        return adminRedirect("/admin/settings?saved=domain#domain");
      },
      { author: true, body: t.Object({ csrf, domain: t.String({ maxLength: 1000 }) }) },
    )
    .post(
      "/admin/settings/domain/check",
      async ({ admin }) => {
        const name = admin.blog.tenant.name;
        const { custom_domain: claimed, domain_token: token } = admin.blog.settings;
        if (claimed === "") return adminRedirect("/admin/settings#domain");
        if (services.customDomains.get(claimed) === name)
          return adminRedirect("/admin/settings?saved=domain-live#domain");
        if (!isProofToken(token)) {
          // A domain set with sqlite3 has no token yet: make one to publish.
          updateSettings(admin.blog.db, { domain_token: newProofToken() });
          return adminRedirect("/admin/settings?saved=domain#domain");
        }
        const fail = (message: string, status: number, extra: Record<string, string> = {}) =>
          page(admin, { errors: { domain: message }, form: "domain" }, status, extra);
        try {
          parseDomain(claimed, rules());
        } catch (e) {
          return fail(...domainRefusal(e));
        }
        // The blog stays open across this await: the author macro's openBlog holds a lease.
        const proof = await checkDomainProof(claimed, token, services.resolveTxt);
        if (!proof.proven) {
          if (proof.unavailable)
            return fail(`Not checked: ${proof.reason}. Nothing changed; please try again in a minute.`, 503, {
              "retry-after": "60",
            });
          return fail(
            `Not proven yet: ${proof.reason}. Create the TXT record shown above (a DNS change can take a few minutes to be seen), then press Check now again.`,
            400,
          );
        }
        // Asked DNS about what was claimed then; if another tab changed the claim meanwhile, that one is not proven.
        const now = getSettings(admin.blog.db);
        if (now.custom_domain !== claimed || now.domain_token !== token) return adminRedirect("/admin/settings#domain");
        try {
          claimDomain(services.config.dataDir, services.customDomains, name, claimed, rules());
        } catch (e) {
          return fail(...domainRefusal(e));
        }
        updateSettings(admin.blog.db, { domain_proven: claimed });
        return adminRedirect("/admin/settings?saved=domain-live#domain");
      },
      { author: true, body: t.Object({ csrf }) },
    )
    .post(
      "/admin/settings/css",
      ({ admin, body }) => {
        if (body.css.length > CUSTOM_CSS_LIMIT) {
          const message = `The stylesheet has ${body.css.length.toLocaleString("en")} characters; the limit is ${CUSTOM_CSS_LIMIT.toLocaleString("en")}.`;
          return page(admin, { css: body.css, errors: { css: message }, form: "css" }, 400);
        }
        const css = cleanCustomCss(body.css);
        updateSettings(admin.blog.db, { custom_css: css });
        const saved = css === "" ? "css-removed" : body.css.includes("<") ? "css-cleaned" : "css";
        return adminRedirect(`/admin/settings?saved=${saved}#css`);
      },
      // Twice the limit at the route, so an author who pastes too much gets the form back with a message.
      { author: true, body: t.Object({ csrf, css: t.String({ maxLength: CUSTOM_CSS_LIMIT * 2 }) }) },
    )
    .post(
      "/admin/password",
      async ({ admin, body, visit }) => {
        const fail = (errors: FormErrors, status = 400, extra = {}) => {
          const r = page(admin, { errors, form: "password" }, status);
          for (const [k, v] of Object.entries(extra)) r.headers.set(k, String(v));
          return r;
        };
        const key = `${admin.blog.tenant.name}\u0000${visit.clientKey}`;
        const now = services.now().getTime();
        const wait = passwordThrottle.retryAfter(key, now);
        if (wait > 0)
          return fail(
            { current: `Too many wrong current passwords. Please try again in ${Math.ceil(wait / 60)} minutes.` },
            429,
            { "retry-after": wait },
          );
        // What needs no hash is checked first, so a form that cannot succeed costs no argon2 work.
        try {
          checkPasswordStrength(body.password);
        } catch (e) {
          if (e instanceof PasswordError)
            return fail({ password: e.message.charAt(0).toUpperCase() + e.message.slice(1) + "." });
          throw e;
        }
        if (body.password !== body.confirm) return fail({ confirm: "The two new passwords are not the same." });
        const author = findAuthorByEmail(admin.blog.db, admin.session.email);
        const { current, password } = body;
        // One place in the server's password line for both the check and the new hash; the attempt
        // is counted before anything is awaited (see login.tsx).
        const work = services.passwords.tryRun(async (argon) => {
          let ok = false;
          try {
            ok = !!author && current !== "" && (await argon.verify(current, author.password_hash));
          } catch {
            ok = false;
          }
          return ok ? argon.hash(password) : null;
        });
        if (!work) return fail({ current: BUSY_MESSAGE }, 503, { "retry-after": PASSWORD_BUSY_RETRY_S });
        passwordThrottle.hit(key, now);
        // The blog stays open across this await: the author macro's openBlog holds a lease.
        const newHash = await work;
        if (!author || newHash === null) return fail({ current: "This is not your current password." });
        passwordThrottle.forget(key);
        setAuthorPassword(admin.blog.db, author.id, newHash);
        deleteOtherSessions(admin.blog.db, author.id, admin.token);
        return adminRedirect("/admin/settings?saved=password#password");
      },
      {
        author: true,
        body: t.Object({
          csrf,
          current: t.String({ maxLength: 1000 }),
          password: t.String({ maxLength: 1000 }),
          confirm: t.String({ maxLength: 1000 }),
          username: t.Optional(t.String({ maxLength: 300 })),
        }),
      },
    );
}
