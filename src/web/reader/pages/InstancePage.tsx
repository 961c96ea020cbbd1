import { Layout } from "../../layout.tsx";

/** The bare domain: what this server is, and how to create the first blog while there is none. */
export function InstancePage({
  blogCount,
  domain,
  port,
}: {
  blogCount: number;
  domain: string;
  port: string;
}): JSX.Element {
  const suffix = port ? `:${port}` : "";
  return (
    <Layout title="WriteKit">
      <h1>WriteKit</h1>
      {blogCount === 0 ? (
        <>
          <p>This server is running, and it has no blogs yet. Create the first one with:</p>
          <pre class="command">writekit tenant create myblog --email you@example.com</pre>
          <p
            safe
          >{`Then open http://myblog.${domain}${suffix}/ to read it, and http://myblog.${domain}${suffix}/admin to write.`}</p>
        </>
      ) : (
        <p
          safe
        >{`This server hosts ${blogCount} blog${blogCount === 1 ? "" : "s"}. Each one answers at its own address, http://<name>.${domain}${suffix}/.`}</p>
      )}
    </Layout>
  );
}
