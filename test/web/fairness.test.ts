import { describe, expect, test } from "bun:test";
import type { TenantName } from "../../src/tenants/names.ts";
import { FairScheduler } from "../../src/web/fairness.ts";

const hot = "hot" as TenantName;
const light = "light" as TenantName;

describe("fair answers across blogs", () => {
  test("while blogs compete, a busy blog's extra requests wait and another blog's request is answered first", async () => {
    const fair = new FairScheduler();
    const order: string[] = [];
    const answers: unknown[] = [];
    // One turn: the light blog asks once, then the hot blog asks ten times, then the light blog again.
    answers.push(fair.run(light, 0, () => order.push("light-1")));
    for (let i = 0; i < 10; i++) answers.push(fair.run(hot, 1, () => order.push(`hot-${i}`)));
    answers.push(fair.run(light, 2, () => order.push("light-2")));
    expect(order).toEqual(["light-1", "hot-0", "hot-1", "light-2"]); // the rest of hot waits
    expect(fair.deferred).toBe(8);
    await Promise.all(answers);
    expect(order).toHaveLength(12);
    expect(order.slice(4)).toEqual(["hot-2", "hot-3", "hot-4", "hot-5", "hot-6", "hot-7", "hot-8", "hot-9"]);
  });

  test("one blog alone is never deferred", async () => {
    const fair = new FairScheduler();
    let answered = 0;
    for (let i = 0; i < 50; i++) fair.run(hot, 1000 + i, () => answered++);
    expect(answered).toBe(50);
    expect(fair.deferred).toBe(0);
  });

  test("a deferred answer that throws rejects its own request only", async () => {
    const fair = new FairScheduler();
    fair.run(light, 0, () => 1);
    const results = Array.from({ length: 4 }, (_, i) =>
      fair.run(hot, 1, () => {
        if (i === 3) throw new Error("boom");
        return i;
      }),
    );
    expect(await Promise.allSettled(results.map((r) => Promise.resolve(r)))).toMatchObject([
      { status: "fulfilled", value: 0 },
      { status: "fulfilled", value: 1 },
      { status: "fulfilled", value: 2 },
      { status: "rejected" },
    ]);
  });
});
