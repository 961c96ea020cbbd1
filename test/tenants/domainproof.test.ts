import { describe, expect, test } from "bun:test";
import { checkDomainProof, isProofToken, newProofToken, proofRecordName } from "../../src/tenants/domainproof.ts";

describe("domain proof", () => {
  test("tokens are 32 hex digits, different each time, published at _writekit.<domain>", () => {
    const a = newProofToken();
    expect(isProofToken(a)).toBe(true);
    expect(newProofToken()).not.toBe(a);
    expect(proofRecordName("blog.example.org")).toBe("_writekit.blog.example.org");
  });

  test("a resolver that never answers is a failure to ask, within the time limit, never a proof", async () => {
    const result = await checkDomainProof("blog.example.org", newProofToken(), () => new Promise(() => {}), 20);
    expect(result).toEqual({
      proven: false,
      unavailable: true,
      reason: "DNS could not be asked for _writekit.blog.example.org (ETIMEOUT)",
    });
  });

  test("an empty answer and NXDOMAIN mean no record; the token must be a whole record, not part of one", async () => {
    const token = newProofToken();
    expect(await checkDomainProof("a.example", token, async () => [])).toMatchObject({
      proven: false,
      unavailable: false,
    });
    expect(
      await checkDomainProof("a.example", token, async () => {
        throw Object.assign(new Error("x"), { code: "ENODATA" });
      }),
    ).toMatchObject({ proven: false, unavailable: false });
    expect(await checkDomainProof("a.example", token, async () => [[`prefix ${token}`]])).toMatchObject({
      proven: false,
    });
    expect(await checkDomainProof("a.example", token, async () => [[` ${token} `]])).toEqual({ proven: true });
  });
});
