// Views: a bar chart of the last 30 days drawn here as SVG (no script), the posts read most in
// that time, and every post's views.
import type { DayViews, PostViews } from "../../../blog/stats.ts";
import { AdminLayout, type Chrome } from "./AdminLayout.tsx";

export interface StatsPageProps {
  chrome: Chrome;
  days: DayViews[];
  posts: PostViews[];
  total: number;
}

const W = 600;
const H = 260;
const PAD = { top: 14, right: 8, bottom: 34, left: 52 };

/** A round axis maximum at or above `max` (1, 2, 5 × 10ⁿ), so gridlines fall on plain numbers. */
export function niceMax(max: number): number {
  if (max <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function shortDay(day: string): string {
  const [, m, d] = day.split("-").map(Number);
  return `${d} ${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]}`;
}

export function ViewsChart({ days }: { days: DayViews[] }): JSX.Element {
  const sum = days.reduce((n, d) => n + d.views, 0);
  const top = niceMax(Math.max(...days.map((d) => d.views), 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / days.length;
  const barW = Math.max(2, step * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks = [0, top / 4, top / 2, (3 * top) / 4, top];
  const label = `Daily views from ${shortDay(days[0].day)} to ${shortDay(days[days.length - 1].day)}: ${sum.toLocaleString("en")} in all, at most ${Math.max(...days.map((d) => d.views)).toLocaleString("en")} in one day.`;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <title safe>{label}</title>
      {ticks.map((v) => (
        <>
          <line
            class="grid"
            x1={String(PAD.left)}
            x2={String(W - PAD.right)}
            y1={y(v).toFixed(1)}
            y2={y(v).toFixed(1)}
          />
          <text class="axis" x={String(PAD.left - 6)} y={(y(v) + 4).toFixed(1)} text-anchor="end" safe>
            {Number.isInteger(v) ? v.toLocaleString("en") : v.toFixed(1)}
          </text>
        </>
      ))}
      {days.map((d, i) => {
        const x = PAD.left + i * step + (step - barW) / 2;
        const h = (d.views / top) * plotH;
        return (
          <>
            <rect
              class="bar"
              x={x.toFixed(1)}
              y={(PAD.top + plotH - h).toFixed(1)}
              width={barW.toFixed(1)}
              height={Math.max(h, d.views > 0 ? 1 : 0).toFixed(1)}
            >
              <title
                safe
              >{`${shortDay(d.day)}: ${d.views.toLocaleString("en")} view${d.views === 1 ? "" : "s"}`}</title>
            </rect>
            {(days.length - 1 - i) % 7 === 0 ? (
              <text
                class="axis"
                x={(i === days.length - 1 ? x + barW : x + barW / 2).toFixed(1)}
                y={String(H - 10)}
                text-anchor={i === days.length - 1 ? "end" : "middle"}
                safe
              >
                {shortDay(d.day)}
              </text>
            ) : (
              ""
            )}
          </>
        );
      })}
    </svg>
  );
}

export function StatsPage({ chrome, days, posts, total }: StatsPageProps): JSX.Element {
  const recent = days.reduce((n, d) => n + d.views, 0);
  const topPosts = [...posts]
    .filter((p) => p.recent > 0)
    .sort((a, b) => b.recent - a.recent)
    .slice(0, 5);
  return (
    <AdminLayout title="Stats" chrome={chrome} section="stats">
      <div class="page-head">
        <h1>Stats</h1>
      </div>
      <div class="figures">
        <p>
          <strong safe>{recent.toLocaleString("en")}</strong>
          <span class="meta">views in the last 30 days</span>
        </p>
        <p>
          <strong safe>{total.toLocaleString("en")}</strong>
          <span class="meta">views in all</span>
        </p>
      </div>
      <section class="card">
        <h2>Daily views, last 30 days (UTC)</h2>
        <ViewsChart days={days} />
        <p class="meta small">
          Every view is counted here at once; an export of the blog includes the views of the last few minutes only
          after the server has added them to its file (every ten minutes).
        </p>
      </section>
      <section class="admin-section">
        <h2>Top posts, last 30 days</h2>
        {topPosts.length === 0 ? (
          <p class="meta">No views in the last 30 days yet.</p>
        ) : (
          <ol class="rows top">
            {topPosts.map((p) => (
              <li>
                <a class="row-title" href={`/admin/posts/${p.id}`} safe>
                  {p.title}
                </a>
                <span
                  class="meta views"
                  safe
                >{`${p.recent.toLocaleString("en")} view${p.recent === 1 ? "" : "s"}`}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section class="admin-section">
        <h2>Views per post</h2>
        {posts.length === 0 ? (
          <p class="meta">No post has been read yet.</p>
        ) : (
          <table class="views-table">
            <thead>
              <tr>
                <th scope="col">Post</th>
                <th scope="col" class="num">
                  30 days
                </th>
                <th scope="col" class="num">
                  All time
                </th>
              </tr>
            </thead>
            <tbody>
              {posts.map((p) => (
                <tr>
                  <td>
                    <a href={`/admin/posts/${p.id}`} safe>
                      {p.title}
                    </a>
                  </td>
                  <td class="num" safe>
                    {p.recent.toLocaleString("en")}
                  </td>
                  <td class="num" safe>
                    {p.views.toLocaleString("en")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </AdminLayout>
  );
}
