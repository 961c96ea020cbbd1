import { Layout, type BlogChrome } from "../../layout.tsx";

export function HomePage({ blog }: { blog: BlogChrome }): JSX.Element {
  return (
    <Layout title={blog.title} blog={blog} description={blog.description || undefined} canonical={`${blog.origin}/`}>
      <p class="meta">No posts yet.</p>
    </Layout>
  );
}
