// The reader mix as wrk load: who asks for what, drawn once (seeded) into files that wrk's Lua only
// walks. Per request: the blog Zipf(1.0) over the N Hosts (rank → a shuffled blog, as many.ts
// does), then 60% a post drawn Zipf(1.0) over that blog's posts (each blog its own shuffled
// rank → post order, so popularity is tied neither to file order nor to age), 20% the home page
// `/`, 10% `/feed.xml`, 10% a tag page `/tags/<tag>`, the tag drawn in proportion to how many posts
// carry it (readers reach tags from posts). All blogs are copies, so one list of paths serves all.
//
// Each sequence entry is blog * 256 + path index. Successive wrk runs continue where the last one
// stopped (`start`), so the steady window is not a replay of the cold one; the Lua counts what it
// sent, and how often it ran off the end of the sequence and started again (wraps).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MixFixture } from "./mixblog.ts";
import { seededRandom, shuffle, zipfSampler } from "./stats.ts";

export const MIX_SHARES = { post: 0.6, home: 0.2, feed: 0.1, tag: 0.1 } as const;

export type MixPage =
  { kind: "post"; slug: string } | { kind: "home" } | { kind: "feed" } | { kind: "tag"; tag: string };

/** Every page the mix asks for on a blog: the posts first (index = post), then home, feed, tags. */
export function mixPages(fixture: Pick<MixFixture, "slugs" | "tags">): MixPage[] {
  return [
    ...fixture.slugs.map((slug) => ({ kind: "post" as const, slug })),
    { kind: "home" },
    { kind: "feed" },
    ...fixture.tags.map((t) => ({ kind: "tag" as const, tag: t.name })),
  ];
}

export function pathOf(page: MixPage): string {
  switch (page.kind) {
    case "post":
      return `/${page.slug}`;
    case "home":
      return "/";
    case "feed":
      return "/feed.xml";
    case "tag":
      return `/tags/${encodeURIComponent(page.tag)}`;
  }
}

export interface MixSequence {
  /** blog * 256 + page index; blog is 0-based into the fixture's names. */
  entries: Uint32Array;
  pages: MixPage[];
}

/** `length` requests of the mix over `blogs` blogs (seeded: the same every run). */
export function mixSequence(
  fixture: Pick<MixFixture, "slugs" | "tags">,
  blogs: number,
  length: number,
  seed = 14,
): MixSequence {
  const pages = mixPages(fixture);
  if (pages.length > 256)
    throw new Error(`the mix has ${pages.length} pages per blog; the sequence encoding holds 256`);
  const posts = fixture.slugs.length;
  const home = posts;
  const feed = posts + 1;
  const random = seededRandom(seed);
  const byRank = shuffle(
    Array.from({ length: blogs }, (_, i) => i),
    seededRandom(seed + 1),
  );
  const drawBlog = zipfSampler(blogs, 1.0);
  const drawPost = zipfSampler(posts, 1.0);
  const postOrders = new Map<number, Uint8Array>();
  const postOrder = (blog: number) => {
    let order = postOrders.get(blog);
    if (!order)
      postOrders.set(
        blog,
        (order = Uint8Array.from(
          shuffle(
            Array.from({ length: posts }, (_, i) => i),
            seededRandom(1_000_003 * (blog + 1) + seed),
          ),
        )),
      );
    return order;
  };
  const tagCdf: number[] = [];
  let sum = 0;
  for (const t of fixture.tags) tagCdf.push((sum += t.posts));
  const drawTag = () => {
    const u = random() * sum;
    let i = 0;
    while (tagCdf[i] < u) i++;
    return i;
  };
  const entries = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const blog = byRank[drawBlog(random)];
    const u = random();
    let page: number;
    if (u < MIX_SHARES.post) page = postOrder(blog)[drawPost(random)];
    else if (u < MIX_SHARES.post + MIX_SHARES.home) page = home;
    else if (u < MIX_SHARES.post + MIX_SHARES.home + MIX_SHARES.feed) page = feed;
    else page = feed + 1 + drawTag();
    entries[i] = blog * 256 + page;
  }
  return { entries, pages };
}

export interface MixFiles {
  hostsFile: string;
  pathsFile: string;
  sequenceFile: string;
  length: number;
  posts: number;
}

/** Writes the hosts, the paths and the sequence for wrk's Lua. */
export function writeMixFiles(dir: string, hosts: readonly string[], sequence: MixSequence): MixFiles {
  const files = {
    hostsFile: join(dir, "mix-hosts.txt"),
    pathsFile: join(dir, "mix-paths.txt"),
    sequenceFile: join(dir, "mix-sequence.txt"),
  };
  writeFileSync(files.hostsFile, hosts.join("\n") + "\n");
  writeFileSync(files.pathsFile, sequence.pages.map(pathOf).join("\n") + "\n");
  writeFileSync(files.sequenceFile, sequence.entries.join("\n") + "\n");
  return { ...files, length: sequence.entries.length, posts: sequence.pages.filter((p) => p.kind === "post").length };
}

const lua = (s: string) => JSON.stringify(s);

/**
 * wrk's request() for the mix, starting after entry `start` (0-based count of entries already
 * used). `oneHost` sends every request to the first host (the one-blog baseline: the same pages,
 * the same order). Counters: sent, sentPosts (post pages asked), posts200 (post pages answered 200:
 * each should count one view), wraps.
 */
export function mixLua(files: MixFiles, start: number, oneHost = false): { requestLua: string; responseLua: string } {
  const requestLua = `
local hosts, paths, seq, at, primed = {}, {}, {}, 0, false
local function lines(file) local t = {} for l in io.lines(file) do t[#t + 1] = l end return t end
local function build(v)
  local p = v % 256
  local h = ${oneHost ? "0" : "(v - p) / 256"}
  return "GET " .. paths[p + 1] .. " HTTP/1.1\\r\\nHost: " .. hosts[h + 1] .. "\\r\\n\\r\\n", p
end
function init(args)
  statuses = {}
  counters = { sent = 0, sentPosts = 0, posts200 = 0, wraps = 0 }
  hosts = lines(${lua(files.hostsFile)})
  paths = lines(${lua(files.pathsFile)})
  for l in io.lines(${lua(files.sequenceFile)}) do seq[#seq + 1] = tonumber(l) end
  at = ${start} % #seq
end
function request()
  -- wrk calls request() once before the run to check what it returns: answer it without using
  -- an entry, so "sent" counts only what went on the wire.
  if not primed then
    primed = true
    return (build(seq[at % #seq + 1]))
  end
  at = at + 1
  if at > #seq then
    at = 1
    counters.wraps = counters.wraps + 1
  end
  local req, p = build(seq[at])
  counters.sent = counters.sent + 1
  if p < ${files.posts} then counters.sentPosts = counters.sentPosts + 1 end
  return req
end`;
  // A post page is the only page with an <article>; only its 200 answers count a view.
  const responseLua = `  if status == 200 and string.find(body, "<article>", 1, true) then counters.posts200 = counters.posts200 + 1 end`;
  return { requestLua, responseLua };
}
