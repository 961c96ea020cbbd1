// The sign-in form. Its field names (email, password) and labels are relied on by password
// managers and scripts.
import { Notice } from "./AdminLayout.tsx";
import { AdminLayout } from "./AdminLayout.tsx";

export interface LoginPageProps {
  blogTitle: string;
  /** The pre-session token the form must echo. */
  token: string;
  next: string;
  email?: string;
  error?: string;
  info?: string;
}

export function LoginPage({ blogTitle, token, next, email = "", error, info }: LoginPageProps): JSX.Element {
  return (
    <AdminLayout title={`Sign in · ${blogTitle}`} blogTitle={blogTitle}>
      <div class="narrow login">
        <h1>Sign in</h1>
        <p class="meta" safe>{`to write and manage ${blogTitle}`}</p>
        {error ? <Notice kind="bad">{<span safe>{error}</span>}</Notice> : ""}
        {info ? <Notice>{<span safe>{info}</span>}</Notice> : ""}
        <form class="stack" method="post" action="/admin/login">
          <input type="hidden" name="csrf" value={token} />
          <input type="hidden" name="next" value={next} />
          <div class="field">
            <label for="email">Email</label>
            <input
              type="email"
              id="email"
              name="email"
              value={email}
              required
              maxlength="254"
              autocomplete="username"
              autofocus={email === ""}
            />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input
              type="password"
              id="password"
              name="password"
              required
              maxlength="1000"
              autocomplete="current-password"
              autofocus={email !== ""}
            />
          </div>
          <div>
            <button type="submit">Sign in</button>
          </div>
        </form>
      </div>
    </AdminLayout>
  );
}
