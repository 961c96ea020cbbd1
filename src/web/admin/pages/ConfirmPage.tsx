// The confirmation step before something that cannot be undone from the list (unpublish, delete).
import type { Children } from "@kitajs/html";
import { AdminLayout, CsrfField, type Chrome } from "./AdminLayout.tsx";

export interface ConfirmPageProps {
  chrome: Chrome;
  heading: string;
  action: string;
  button: string;
  cancelHref: string;
  danger?: boolean;
  children?: Children;
}

export function ConfirmPage({ chrome, heading, action, button, cancelHref, danger, children }: ConfirmPageProps): JSX.Element {
  return (
    <AdminLayout title={heading} chrome={chrome} section="posts">
      <div class="narrow confirm">
        <h1 safe>{heading}</h1>
        {children}
        <form method="post" action={action} class="actions">
          <CsrfField token={chrome.csrf} />
          <button type="submit" class={danger ? "danger" : undefined} safe>
            {button}
          </button>
          <a class="button secondary" href={cancelHref}>
            Cancel
          </a>
        </form>
      </div>
    </AdminLayout>
  );
}
