// IP addresses and CIDR ranges, as the operator names trusted proxies and as clients arrive:
// parsed with node:net (isIP, BlockList), written one way, so "::ffff:10.1.2.3" (an IPv4 client
// on a dual-stack socket) is the IPv4 address 10.1.2.3 everywhere.
import { BlockList, isIP } from "node:net";

export class AddressRangeError extends Error {
  override name = "AddressRangeError";
}

/**
 * An address as this server writes it: no brackets, port or zone, lower case, an IPv4-mapped IPv6
 * address as plain IPv4. Null when the text is not an IP address.
 */
export function normaliseAddress(text: string): string | null {
  let a = text.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":")); // "1.2.3.4:5678", as some proxies write
  a = a.replace(/%.*$/, ""); // a zone ("fe80::1%eth0") says nothing about who the client is
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1];
  return isIP(a) ? a : null;
}

export function isLoopback(address: string): boolean {
  const a = normaliseAddress(address);
  return a !== null && (a === "::1" || /^127\./.test(a));
}

/** The eight 16-bit groups of an IPv6 address (normalised, so valid). */
export function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

/**
 * A trusted-proxy entry (an address, or a CIDR range such as 10.0.0.0/8 or fd00::/8) as this
 * server writes it, or an AddressRangeError saying what is wrong with it.
 */
export function parseAddressRange(text: string): string {
  const shown = JSON.stringify(text);
  const [base, prefix, ...rest] = text.trim().split("/");
  const address = normaliseAddress(base);
  if (address === null || rest.length > 0 || /[\[\]]/.test(base) || (prefix !== undefined && base.includes("%"))) {
    throw new AddressRangeError(
      `${shown} is not an IP address or CIDR range; give one like 10.0.0.5, 10.0.0.0/8, ::1 or fd00::/8 (host names are not looked up)`,
    );
  }
  if (prefix === undefined) return address;
  const max = isIP(address) === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    throw new AddressRangeError(
      `${shown} has the prefix length "${prefix}"; an IPv${max === 32 ? 4 : 6} range's is a whole number from 0 to ${max}`,
    );
  }
  return `${address}/${Number(prefix)}`;
}

/** A test for "is this address in one of these ranges" (ranges as parseAddressRange writes them). */
export function addressMatcher(ranges: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const range of ranges) {
    const [address, prefix] = range.split("/");
    const family = isIP(address) === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (input) => {
    const address = normaliseAddress(input);
    return address !== null && list.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
  };
}
