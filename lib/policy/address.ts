/**
 * IP addresses for access rules: parsing (IPv4 and every RFC 4291 IPv6 text
 * form), CIDR ranges, and the address classes `--deny-private` refuses.
 * Every address is held as 16 bytes; IPv4 is stored IPv4-mapped
 * (`::ffff:a.b.c.d`), so `10.1.2.3` and `::ffff:10.1.2.3` are the same
 * address. Pure: no I/O.
 *
 * @module
 */

import { RuleError } from "./rule.ts";

const V4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9A-Za-z._~-]+$/;
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/** Writes the four parts of a strict dotted quad at `out[at..at+4]`; false if `s` is not one. */
function parseV4Into(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    if (!V4_PART.test(parts[i])) return false;
    const n = Number(parts[i]);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** The 16-bit words of colon-separated groups; an IPv4 tail (two words) only if `v4Last`. */
function words(text: string, v4Last: boolean): number[] | null {
  if (text === "") return [];
  const groups = text.split(":");
  const out: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (v4Last && i === groups.length - 1 && g.includes(".")) {
      const b = new Uint8Array(4);
      if (!parseV4Into(g, b, 0)) return null;
      out.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
    } else if (HEX_GROUP.test(g)) {
      out.push(parseInt(g, 16));
    } else {
      return null;
    }
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  const pct = s.indexOf("%");
  if (pct >= 0) {
    if (!ZONE.test(s.slice(pct + 1))) return null;
    s = s.slice(0, pct);
  }
  const gap = s.indexOf("::");
  if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) return null;
  const head = words(gap < 0 ? s : s.slice(0, gap), gap < 0);
  const tail = gap < 0 ? [] : words(s.slice(gap + 2), true);
  if (head === null || tail === null) return null;
  const n = head.length + tail.length;
  if (gap < 0 ? n !== 8 : n > 7) return null;
  const out = new Uint8Array(16);
  const put = (w: number, i: number) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  };
  head.forEach((w, i) => put(w, i));
  tail.forEach((w, i) => put(w, 8 - tail.length + i));
  return out;
}

/**
 * Parses an IP literal: a strict IPv4 dotted quad (four decimal parts 0-255,
 * no leading zeros) or IPv6 text (RFC 4291: `::` compression, an IPv4 tail,
 * an ignored `%zone` suffix; no brackets). Returns 16 bytes, IPv4 mapped to
 * `::ffff:a.b.c.d`; null when `s` is not an IP literal.
 *
 * @example
 * ```ts
 * import { parseIp } from "./address.ts";
 * console.log(parseIp("10.1.2.3")); // Uint8Array(16) [0, ..., 0xff, 0xff, 10, 1, 2, 3]
 * console.log(parseIp("fe80::1%eth0")?.[0]); // 254
 * console.log(parseIp("example.com")); // null
 * ```
 */
export function parseIp(s: string): Uint8Array | null {
  if (s.includes(":")) return parseV6(s);
  const out = new Uint8Array(16);
  out[10] = out[11] = 0xff;
  return parseV4Into(s, out, 12) ? out : null;
}

/** Whether 16 bytes are an IPv4-mapped address (`::ffff:0:0/96`): how IPv4 is held here. */
export function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** 16 bytes from a string, a 16-byte array, or a 4-byte IPv4 array; null otherwise. */
function toBytes(ip: Uint8Array | string): Uint8Array | null {
  if (typeof ip === "string") return parseIp(ip);
  if (ip.length === 16) return ip;
  if (ip.length !== 4) return null;
  const out = new Uint8Array(16);
  out[10] = out[11] = 0xff;
  out.set(ip, 12);
  return out;
}

/**
 * Formats 16 address bytes canonically: IPv4-mapped addresses as a dotted
 * quad, IPv6 as RFC 5952 text (lower case, the longest run of two or more
 * zero groups, the first one on a tie, written `::`).
 *
 * @example
 * ```ts
 * import { formatIp, parseIp } from "./address.ts";
 * console.log(formatIp(parseIp("2001:0DB8:0:0:0:0:0:1")!)); // "2001:db8::1"
 * console.log(formatIp(parseIp("::ffff:10.0.0.1")!)); // "10.0.0.1"
 * ```
 */
export function formatIp(ip: Uint8Array): string {
  if (isMapped(ip)) return ip.subarray(12, 16).join(".");
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((ip[2 * i] << 8) | ip[2 * i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** An IP range (address and prefix length), IPv4 or IPv6, held over 16 bytes. */
export class Cidr {
  #net: Uint8Array;
  #prefix: number;

  private constructor(net: Uint8Array, prefix: number) {
    this.#net = net;
    this.#prefix = prefix;
  }

  /**
   * Parses `a.b.c.d`, `a.b.c.d/n` (n 0-32), IPv6 `x::y` or `x::y/n` (n 0-128),
   * or IPv6 in brackets (`[::1]`, `[2001:db8::]/32`). A bare address is a
   * single-address range. Host bits set beyond the prefix are refused, with
   * the network the user probably meant. IPv4 prefixes are stored as 96 + n
   * over the mapped form. `subject` names the rule in the error message
   * (default: the text in quotes).
   *
   * @throws {RuleError} `Cannot parse "10.1.2.3/8": host bits set (did you mean 10.0.0.0/8?)`
   *
   * @example
   * ```ts
   * import { Cidr } from "./address.ts";
   * const net = Cidr.parse("10.0.0.0/8");
   * console.log(net.contains("10.9.8.7"), net.contains("::ffff:10.1.1.1")); // true true
   * console.log(Cidr.parse("[2001:DB8::]/32").toString()); // "2001:db8::/32"
   * ```
   */
  static parse(s: string, subject = `"${s}"`): Cidr {
    const fail = (why: string) => new RuleError(`Cannot parse ${subject}: ${why}`);
    const slash = s.indexOf("/");
    let addr = slash < 0 ? s : s.slice(0, slash);
    const bracketed = addr.startsWith("[");
    if (bracketed) {
      if (!addr.endsWith("]")) throw fail("unclosed [ or text after ]");
      addr = addr.slice(1, -1);
      if (!addr.includes(":")) throw fail("brackets are only for IPv6 addresses");
    }
    if (addr === "") throw fail("missing address");
    const v6 = addr.includes(":");
    if (v6 && addr.includes("%")) throw fail("a zone (%...) is not allowed in a rule");
    const ip = parseIp(addr);
    if (ip === null) {
      if (v6) throw fail("bad IPv6 address");
      throw fail(/^[0-9.]+$/.test(addr) ? "bad IPv4 address" : "not an IP address or CIDR range");
    }
    const max = v6 ? 128 : 32;
    let prefix = max;
    if (slash >= 0) {
      const text = s.slice(slash + 1);
      prefix = Number(text);
      if (!PREFIX.test(text) || prefix > max) throw fail(`bad prefix length (must be 0-${max})`);
    }
    const bits = v6 ? prefix : 96 + prefix;
    const net = mask(ip, bits);
    if (net.some((b, i) => b !== ip[i])) {
      const shown = v6 ? formatV6(net) : formatIp(net);
      const suggestion = bracketed ? `[${shown}]/${prefix}` : `${shown}/${prefix}`;
      throw fail(`host bits set (did you mean ${suggestion}?)`);
    }
    return new Cidr(net, bits);
  }

  /**
   * Whether `ip` (text or 16 bytes) is in this range; an IPv4 range contains
   * the IPv4-mapped form too. Text that is not an IP literal is in no range.
   */
  contains(ip: Uint8Array | string): boolean {
    const b = toBytes(ip);
    if (b === null) return false;
    const whole = this.#prefix >> 3;
    for (let i = 0; i < whole; i++) if (b[i] !== this.#net[i]) return false;
    const rest = this.#prefix & 7;
    if (rest === 0) return true;
    const m = (0xff << (8 - rest)) & 0xff;
    return (b[whole] & m) === this.#net[whole];
  }

  /**
   * Canonical text: `10.0.0.0/8`, `2001:db8::/32`; a single address without
   * its prefix (`10.0.0.1`, `::1`). A range inside `::ffff:0:0/96` prints as IPv4.
   */
  toString(): string {
    if (this.#prefix >= 96 && isMapped(this.#net)) {
      const n = this.#prefix - 96;
      return n === 32 ? formatIp(this.#net) : `${formatIp(this.#net)}/${n}`;
    }
    const text = formatV6(this.#net);
    return this.#prefix === 128 ? text : `${text}/${this.#prefix}`;
  }
}

/** Formats as IPv6 even when mapped (`::ffff:a.b.c.d`), for suggestions. */
function formatV6(ip: Uint8Array): string {
  return isMapped(ip) ? `::ffff:${formatIp(ip)}` : formatIp(ip);
}

/** A copy of `ip` with every bit after the first `bits` cleared. */
function mask(ip: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = ip[i] & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/**
 * What kind of address an IP is. `--deny-private` refuses every class but
 * `"public"`.
 */
export type AddressClass =
  | "loopback"
  | "private"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "unspecified"
  | "reserved"
  | "public";

function classifyV4(a: number, b: number, c: number): AddressClass {
  if (a === 0) return "unspecified"; // 0.0.0.0/8 "this network"
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168)) return "private";
  if (a === 100 && (b & 0xc0) === 64) return "private"; // 100.64.0.0/10 CGNAT
  if (a === 169 && b === 254) return "link-local"; // includes 169.254.169.254 (cloud metadata)
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved"; // 240.0.0.0/4 and 255.255.255.255
  // 192.0.0.0/24 protocol assignments; documentation 192.0.2/24, 198.51.100/24, 203.0.113/24;
  // benchmarking 198.18.0.0/15.
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "reserved";
  if (a === 198 && ((b & 0xfe) === 18 || (b === 51 && c === 100))) return "reserved";
  if (a === 203 && b === 0 && c === 113) return "reserved";
  return "public";
}

const NAT64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * Classifies an address (text or 16 bytes). IPv4-mapped IPv6 is classified as
 * its IPv4 address, and so are NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`)
 * addresses by the IPv4 address they embed. IPv6 outside the global unicast
 * range `2000::/3`, and the documentation range `2001:db8::/32`, is
 * `"reserved"`; so is text that is not an IP literal (never `"public"`).
 *
 * @example
 * ```ts
 * import { classifyAddress } from "./address.ts";
 * console.log(classifyAddress("169.254.169.254")); // "link-local"
 * console.log(classifyAddress("64:ff9b::7f00:1")); // "loopback"
 * console.log(classifyAddress("2606:4700::1111")); // "public"
 * ```
 */
export function classifyAddress(ip: Uint8Array | string): AddressClass {
  const b = toBytes(ip);
  if (b === null) return "reserved";
  if (isMapped(b) || NAT64.every((x, i) => b[i] === x)) return classifyV4(b[12], b[13], b[14]);
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(b[2], b[3], b[4]);
  if (b.every((x, i) => x === (i === 15 ? 1 : 0))) return "loopback";
  if (b.every((x) => x === 0)) return "unspecified";
  if (b[0] === 0xff) return "multicast";
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return "link-local";
  if ((b[0] & 0xfe) === 0xfc) return "unique-local";
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return "reserved";
  return (b[0] & 0xe0) === 0x20 ? "public" : "reserved";
}

const LOOPBACK_V4 = parseIp("127.0.0.1")!;
const LOOPBACK_V6 = parseIp("::1")!;

/**
 * The loopback address a connection to an unspecified address reaches:
 * Linux (and most systems) deliver a connect to `0.0.0.0` (also written
 * `::ffff:0.0.0.0`) to `127.0.0.1`, and one to `::` to `::1`. Null for every
 * other address, including the rest of `0.0.0.0/8` (no route there). Access
 * rules match such an address as both itself and this alias.
 *
 * @example
 * ```ts
 * import { formatIp, loopbackAlias } from "./address.ts";
 * console.log(formatIp(loopbackAlias("0.0.0.0")!)); // "127.0.0.1"
 * console.log(formatIp(loopbackAlias("::")!)); // "::1"
 * console.log(loopbackAlias("0.1.2.3")); // null
 * ```
 */
export function loopbackAlias(ip: Uint8Array | string): Uint8Array | null {
  const b = toBytes(ip);
  if (b === null || b.subarray(12).some((x) => x !== 0)) return null;
  if (isMapped(b)) return LOOPBACK_V4.slice();
  return b.every((x) => x === 0) ? LOOPBACK_V6.slice() : null;
}

/**
 * Whether an address is public (routable on the internet): what
 * `--deny-private` lets through.
 *
 * @example
 * ```ts
 * import { isPublic } from "./address.ts";
 * console.log(isPublic("8.8.8.8"), isPublic("::ffff:192.168.1.1")); // true false
 * ```
 */
export function isPublic(ip: Uint8Array | string): boolean {
  return classifyAddress(ip) === "public";
}
