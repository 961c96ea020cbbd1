// /sitemap.xml (https://www.sitemaps.org/protocol.html): posts, pages and tags; /robots.txt pointing to it.
import { listVisiblePages, listVisibleSlugs } from "../../blog/posts.ts";
import { listVisibleTags } from "../../blog/tags.ts";
import type { BlogRequest } from "../site.ts";
import { tagHref } from "../components/PostMeta.tsx";

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export function sitemap(blog: BlogRequest, now: Date): string {
  const posts = listVisibleSlugs(blog.db, now);
  const urls = [
    `  <url><loc>${xml(blog.origin)}/</loc>${posts[0] ? `<lastmod>${posts[0].updated_at}</lastmod>` : ""}</url>`,
  ];
  for (const p of posts)
    urls.push(`  <url><loc>${xml(`${blog.origin}/${p.slug}`)}</loc><lastmod>${p.updated_at}</lastmod></url>`);
  for (const p of listVisiblePages(blog.db, now))
    urls.push(`  <url><loc>${xml(`${blog.origin}/${p.slug}`)}</loc><lastmod>${p.updated_at}</lastmod></url>`);
  for (const tag of listVisibleTags(blog.db, now))
    urls.push(`  <url><loc>${xml(blog.origin + tagHref(tag.name))}</loc></url>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join("\n")}\n</urlset>\n`;
}

export function robots(origin: string): string {
  return `User-agent: *\nDisallow: /admin\n\nSitemap: ${origin}/sitemap.xml\n`;
}
