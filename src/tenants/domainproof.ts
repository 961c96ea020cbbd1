// Proof that a blog may use a custom domain: whoever controls the domain's DNS publishes the blog's
// token (a random value kept in its settings) as a TXT record at `_writekit.<domain>`. Until the
// record is seen, the claim is pending: the server neither answers at the domain nor lets a TLS
// proxy get a certificate for it. Another blog's token proves nothing for this one.
import { randomBytes } from "node:crypto";
import { resolveTxt as systemResolveTxt } from "node:dns/promises";

/** node:dns's resolveTxt: each record as the strings it was published in. Tests pass a fake. */
export type ResolveTxt = (name: string) => Promise<string[][]>;

export const systemTxtResolver: ResolveTxt = (name) => systemResolveTxt(name);

/** How long one check waits for DNS before saying it could not ask. */
export const PROOF_TIMEOUT_MS = 5000;

/** Where the proof is published. */
export function proofRecordName(domain: string): string {
  return `_writekit.${domain}`;
}

/** A new token: 128 random bits as 32 hex digits (no character a DNS panel could mangle). */
export function newProofToken(): string {
  return randomBytes(16).toString("hex");
}

export function isProofToken(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

export type ProofResult =
  { proven: true } | { proven: false; reason: string; /** DNS itself failed: try again later. */ unavailable: boolean };

/** DNS answers that mean "no such record": anything else is a failure to ask. */
const NO_RECORD = new Set(["ENOTFOUND", "ENODATA", "NXDOMAIN", "ENONAME"]);

/** Whether `_writekit.<domain>` has a TXT record whose text is `token`; never throws. */
export async function checkDomainProof(
  domain: string,
  token: string,
  resolveTxt: ResolveTxt,
  timeoutMs = PROOF_TIMEOUT_MS,
): Promise<ProofResult> {
  const name = proofRecordName(domain);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let records: string[][];
  try {
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(Object.assign(new Error("no answer in time"), { code: "ETIMEOUT" })),
          timeoutMs,
        )),
    );
    records = await Promise.race([resolveTxt(name), timeout]);
  } catch (e) {
    const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "";
    if (NO_RECORD.has(code))
      return { proven: false, unavailable: false, reason: `there is no TXT record at ${name} yet` };
    return {
      proven: false,
      unavailable: true,
      reason: `DNS could not be asked for ${name} (${code || (e instanceof Error ? e.message : String(e))})`,
    };
  } finally {
    clearTimeout(timer);
  }
  // A long TXT record comes as several strings, to be joined.
  const texts = records.map((chunks) => chunks.join("").trim());
  if (texts.includes(token)) return { proven: true };
  if (texts.length === 0) return { proven: false, unavailable: false, reason: `there is no TXT record at ${name} yet` };
  const shown = texts
    .slice(0, 3)
    .map((t) => JSON.stringify(t.length > 60 ? t.slice(0, 60) + "…" : t))
    .join(", ");
  return {
    proven: false,
    unavailable: false,
    reason: `the TXT record at ${name} says ${shown}, not this blog's token`,
  };
}
