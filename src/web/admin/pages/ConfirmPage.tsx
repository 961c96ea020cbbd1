// The confirmation step before something that cannot be undone from the list (unpublish, delete).
import type { Children } from "@kitajs/html";
import { AdminLayout, CsrfField, type Chrome, type Section } from "./AdminLayout.tsx";

export interface ConfirmPageProps {
  chrome: Chrome;
  heading: string;
  action: string;
  button: string;
  cancelHref: string;
  danger?: boolean;
  /** The admin section it belongs to (posts unless said). */
  section?: Section;
  children?: Children;
}

export function ConfirmPage({
  chrome,
  heading,
  action,
  button,
  cancelHref,
  danger,
  section = "posts",
  children,
}: ConfirmPageProps): JSX.Element {
  return (
    <AdminLayout title={heading} chrome={chrome} section={section}>
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
