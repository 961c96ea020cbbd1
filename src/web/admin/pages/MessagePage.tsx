// A short page that explains why something was refused or did not happen.
import { AdminLayout } from "./AdminLayout.tsx";

export function MessagePage({
  blogTitle,
  heading,
  message,
  status,
}: {
  blogTitle: string;
  heading: string;
  message: string;
  status: number;
}): JSX.Element {
  return (
    <AdminLayout title={heading} blogTitle={blogTitle}>
      <div class="narrow">
        <h1 safe>{heading}</h1>
        <p safe>{message}</p>
        <p class="meta" safe>{`Error ${status} · ${blogTitle}`}</p>
        <p>
          <a href="/admin">Back to the admin</a>
        </p>
      </div>
    </AdminLayout>
  );
}
