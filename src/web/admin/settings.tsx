// Settings: the blog (title, description, author name, posts per page, comment policy, time zone),
// its menu, its custom domain, its custom stylesheet, and the author's password. Each form saves on its own
// and comes back with what was typed and a message beside any field that needs attention.
import { Elysia, t } from "elysia";
import { checkPasswordStrength, findAuthorByEmail, hashPassword, PasswordError, setAuthorPassword } from "../../blog/authors.ts";
import { cleanCustomCss, CUSTOM_CSS_LIMIT } from "../../blog/customcss.ts";
import { getMedia, mediaUrl } from "../../blog/media.ts";
import { getMenu, MENU_LIMITS, MenuError, setMenu, type MenuItem } from "../../blog/menu.ts";
import { listVisiblePages } from "../../blog/posts.ts";
import { listVisibleTags } from "../../blog/tags.ts";
import { tagHref } from "../components/PostMeta.tsx";
import { deleteOtherSessions } from "../../blog/sessions.ts";
import { updateSettings, type CommentPolicy, type Settings } from "../../blog/settings.ts";
import { isValidTimeZone, timeZones } from "../../blog/zones.ts";
import { claimDomain, DomainError, DomainTakenError, releaseDomain } from "../../tenants/domains.ts";
import type { Services } from "../services.ts";
import { authorContext, type Admin } from "./author.tsx";
import { adminPage, adminRedirect } from "./context.tsx";
import { SettingsPage, type FormErrors, type GeneralValues, type SettingsPageProps } from "./pages/SettingsPage.tsx";
import { RateLimiter } from "../ratelimit.ts";
import { MAX_SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS } from "./login.tsx";

const csrf = t.Optional(t.String({ maxLength: 100 }));
const POLICIES = new Set(["moderate", "approve", "off"]);

const SAVED = new Map<string, [SettingsPageProps["form"], string]>([
  ["settings", ["general", "Settings saved."]],
  ["menu", ["menu", "Menu saved. It is on every reader page now."]],
  ["domain", ["domain", "Custom domain saved. Once its DNS points here, the blog answers at it."]],
  ["domain-removed", ["domain", "The custom domain is removed."]],
  ["css", ["css", "Custom CSS saved. It is on every reader page now."]],
  ["css-cleaned", ["css", "Custom CSS saved. “<” characters were removed: CSS has no use for them, and they could end a style element."]],
  ["css-removed", ["css", "Custom CSS removed."]],
  ["password", ["password", "Password changed. Any other browser signed in as you was signed out."]],
]);

function generalOf(s: Settings): GeneralValues {
  return { title: s.title, description: s.description, author_name: s.author_name, posts_per_page: String(s.posts_per_page), comment_policy: s.comment_policy, time_zone: s.time_zone };
}

/** The menu as its textarea shows it. */
function menuText(items: MenuItem[]): string {
  return items.map((item) => `${item.label} | ${item.url}`).join("\n");
}

/** The menu typed as `Label | URL` lines (blank lines skipped; a label may hold "|", so the last one splits). */
function parseMenuText(text: string): MenuItem[] {
  const lines = text.split(/\r\n?|\n/).map((line) => line.trim()).filter(Boolean);
  if (lines.length > MENU_LIMITS.items) throw new MenuError(`A menu has at most ${MENU_LIMITS.items} links; this one has ${lines.length}.`);
  return lines.map((line, i) => {
    const bar = line.lastIndexOf("|");
    if (bar < 0) throw new MenuError(`Link ${i + 1} (“${line.slice(0, 60)}”) has no “|”: write it as Label | URL, like About | /about.`);
    return { label: line.slice(0, bar), url: line.slice(bar + 1) };
  });
}

export function settingsRoutes(services: Services) {
  // A stolen session must not become a way to guess the current password quickly.
  const passwordThrottle = new RateLimiter(MAX_SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS);

  const page = (admin: Admin, props: Partial<Omit<SettingsPageProps, "chrome" | "zones" | "ownHost" | "linkable" | "icon">> = {}, status = 200) => {
    const s = admin.blog.settings;
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
        ownHost={`${admin.blog.tenant.name}.${services.config.domain}`}
        errors={props.errors}
        notice={props.notice}
        form={props.form}
      />,
      status,
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
        else if (values.title.length > 200) errors.title = `At most 200 characters; this one has ${values.title.length}.`;
        if (values.description.length > 500) errors.description = `At most 500 characters; this one has ${values.description.length}.`;
        if (values.author_name.length > 100) errors.author_name = `At most 100 characters; this one has ${values.author_name.length}.`;
        const perPage = Number(values.posts_per_page);
        if (!/^\d{1,3}$/.test(values.posts_per_page) || perPage < 1 || perPage > 100) errors.posts_per_page = "A whole number from 1 to 100.";
        if (!POLICIES.has(values.comment_policy)) errors.comment_policy = "Choose one of the three.";
        if (!isValidTimeZone(values.time_zone)) errors.time_zone = "Choose a time zone from the list, like Europe/Berlin or UTC.";
        if (Object.keys(errors).length) return page(admin, { general: values, errors, form: "general", notice: { kind: "bad", text: "Nothing was saved: please check the fields marked below." } }, 400);
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
          if (e instanceof MenuError) return page(admin, { menu: body.menu, errors: { menu: e.message }, form: "menu", notice: { kind: "bad", text: "The menu was not saved: please check it." } }, 400);
          throw e;
        }
        return adminRedirect("/admin/settings?saved=menu#menu");
      },
      { author: true, body: t.Object({ csrf, menu: t.String({ maxLength: 20_000 }) }) },
    )
    .post(
      "/admin/settings/domain",
      ({ admin, body }) => {
        const input = body.domain.trim();
        const name = admin.blog.tenant.name;
        if (input === "") {
          releaseDomain(services.config.dataDir, services.customDomains, name);
          updateSettings(admin.blog.db, { custom_domain: "" });
          return adminRedirect("/admin/settings?saved=domain-removed#domain");
        }
        let domain: string;
        try {
          domain = claimDomain(services.config.dataDir, services.customDomains, name, input, { instanceDomain: services.config.domain });
        } catch (e) {
          const message = e instanceof DomainTakenError
            ? `${e.domain} is already used by another blog on this server. If it is yours, release it there first.`
            : e instanceof DomainError
              ? e.message.charAt(0).toUpperCase() + e.message.slice(1) + "."
              : null;
          if (message === null) throw e;
          return page(admin, { domain: input, errors: { domain: message }, form: "domain" }, e instanceof DomainTakenError ? 409 : 400);
        }
        updateSettings(admin.blog.db, { custom_domain: domain });
        return adminRedirect("/admin/settings?saved=domain#domain");
      },
      { author: true, body: t.Object({ csrf, domain: t.String({ maxLength: 1000 }) }) },
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
      async ({ admin, body }) => {
        const fail = (errors: FormErrors, status = 400, extra = {}) => {
          const r = page(admin, { errors, form: "password" }, status);
          for (const [k, v] of Object.entries(extra)) r.headers.set(k, String(v));
          return r;
        };
        const key = `${admin.blog.tenant.name}\u0000${admin.session.authorId}`;
        const now = services.now().getTime();
        const wait = passwordThrottle.retryAfter(key, now);
        if (wait > 0) return fail({ current: `Too many wrong current passwords. Please try again in ${Math.ceil(wait / 60)} minutes.` }, 429, { "retry-after": wait });
        const author = findAuthorByEmail(admin.blog.db, admin.session.email);
        let ok = false;
        try {
          ok = !!author && body.current !== "" && (await Bun.password.verify(body.current, author.password_hash));
        } catch {
          ok = false;
        }
        if (!author || !ok) {
          passwordThrottle.hit(key, now);
          return fail({ current: "This is not your current password." });
        }
        try {
          checkPasswordStrength(body.password);
        } catch (e) {
          if (e instanceof PasswordError) return fail({ password: e.message.charAt(0).toUpperCase() + e.message.slice(1) + "." });
          throw e;
        }
        if (body.password !== body.confirm) return fail({ confirm: "The two new passwords are not the same." });
        passwordThrottle.forget(key);
        setAuthorPassword(admin.blog.db, author.id, await hashPassword(body.password));
        deleteOtherSessions(admin.blog.db, author.id, admin.token);
        return adminRedirect("/admin/settings?saved=password#password");
      },
      { author: true, body: t.Object({ csrf, current: t.String({ maxLength: 1000 }), password: t.String({ maxLength: 1000 }), confirm: t.String({ maxLength: 1000 }), username: t.Optional(t.String({ maxLength: 300 })) }) },
    );
}
