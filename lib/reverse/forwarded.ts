/**
 * What a reverse proxy tells the application about the client: the
 * `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` fields and
 * RFC 7239 `Forwarded`. A client's own values are kept (and appended to) only
 * when it is a trusted proxy (`--trusted-proxy`); from anyone else they are
 * replaced, so an application behind sluice can believe the first entry it
 * did not add itself. The `Host` sent upstream is the request's `Target`
 * authority ({@linkcode upstreamHostHeader} in target.ts). Sans-io.
 *
 * @module
 */

import type { HeaderList } from "../http1/headers.ts";
import { trimOws } from "../http1/headers.ts";
import { Cidr, formatIp, parseIp } from "../policy/address.ts";

/** What {@linkcode applyForwarded} needs to know about the exchange. */
export interface ForwardedInfo {
  /** The client's address as the socket reports it (`::ffff:` IPv4 and zones are normalized). */
  clientIp: string;
  /** Whether the client is a trusted proxy ({@linkcode TrustedProxies.has}). */
  trusted: boolean;
  /** The scheme the client used with sluice. */
  proto: "http";
  /** The `Host` the client sent, as sent; `null` when it sent none. */
  host: string | null;
}

/** The fields {@linkcode applyForwarded} writes (lower case). */
export const FORWARDED_FIELDS: readonly string[] = [
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
];

/**
 * The `--trusted-proxy` ranges, compiled.
 *
 * @example
 * ```ts
 * import { TrustedProxies } from "./forwarded.ts";
 * const trusted = new TrustedProxies(["10.0.0.0/8", "::1"]);
 * trusted.has("10.1.2.3"); // true
 * trusted.has("::ffff:10.1.2.3"); // true
 * trusted.has("192.0.2.1"); // false
 * ```
 */
export class TrustedProxies {
  #ranges: Cidr[];

  /** Compiles the ranges (CIDR or single addresses, as `--trusted-proxy` takes them). */
  constructor(cidrs: readonly string[]) {
    this.#ranges = cidrs.map((c) => Cidr.parse(c));
  }

  /** Whether `ip` (an address literal; anything else is not trusted) is in a range. */
  has(ip: string): boolean {
    if (this.#ranges.length === 0) return false;
    const bytes = parseIp(ip);
    return bytes !== null && this.#ranges.some((r) => r.contains(bytes));
  }
}

/**
 * The client address as the application should read it: IPv4 for an
 * IPv4-mapped address, RFC 5952 text for IPv6, no zone. Text that is not an
 * address is returned as is.
 *
 * @example
 * ```ts
 * import { normalizeIp } from "./forwarded.ts";
 * normalizeIp("::ffff:192.0.2.1"); // "192.0.2.1"
 * normalizeIp("2001:DB8:0::1"); // "2001:db8::1"
 * ```
 */
export function normalizeIp(ip: string): string {
  // clients' addresses repeat: each is parsed once (the table is cleared when it fills)
  let n = normalized.get(ip);
  if (n === undefined) {
    const bytes = parseIp(ip);
    n = bytes === null ? ip : formatIp(bytes);
    if (normalized.size >= 1024) {
      normalized.clear();
      literals.clear();
    }
    normalized.set(ip, n);
    if (bytes !== null) literals.add(n);
  }
  return n;
}

const normalized = new Map<string, string>();
/** `Forwarded` elements by client address and Host (proto is always http here). */
const elements = new Map<string, string>();
/** The normalized forms that are address literals. */
const literals = new Set<string>();

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const QDTEXT = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A `Forwarded` parameter value: a token as is, else a quoted-string; null if it cannot be either. */
function paramValue(v: string): string | null {
  if (TOKEN.test(v)) return v;
  if (!QDTEXT.test(v)) return null;
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * One `Forwarded` element (RFC 7239 section 4) for a client: `for` (IPv6 in
 * brackets and quotes, `unknown` for what is no address), `proto`, and `host`
 * when known (quoted when it has a port).
 *
 * @example
 * ```ts
 * import { forwardedElement } from "./forwarded.ts";
 * forwardedElement("2001:db8::1", "http", "example.com:8080");
 * // 'for="[2001:db8::1]";proto=http;host="example.com:8080"'
 * forwardedElement("192.0.2.60", "http", "example.com"); // "for=192.0.2.60;proto=http;host=example.com"
 * ```
 */
export function forwardedElement(clientIp: string, proto: string, host: string | null): string {
  const ip = normalizeIp(clientIp);
  const node = !literals.has(ip) ? "unknown" : ip.includes(":") ? `"[${ip}]"` : ip;
  const parts = [`for=${node}`, `proto=${proto}`];
  const h = host === null ? null : paramValue(host);
  if (h !== null) parts.push(`host=${h}`);
  return parts.join(";");
}

/** {@linkcode forwardedElement}, memoized by client address and Host (proto is always http here). */
function forwardedFor(ip: string, proto: string, host: string | null): string {
  // a connection's requests repeat the last answer: no key string for them
  if (ip === last.ip && host === last.host && proto === last.proto) return last.element;
  const key = `${ip} ${host ?? "\0"}`; // no Host vs an empty one
  let element = elements.get(key);
  if (element === undefined) {
    element = forwardedElement(ip, proto, host);
    if (elements.size >= 1024) elements.clear();
    elements.set(key, element);
  }
  last = { ip, proto, host, element };
  return element;
}

/** The last {@linkcode forwardedFor} answer. */
let last: { ip: string; proto: string; host: string | null; element: string } = {
  ip: "",
  proto: "",
  host: null,
  element: "",
};

/** Removes `names` from the `Connection` and `Proxy-Connection` lists, so no client can strip them. */
function unlistFromConnection(headers: HeaderList, names: readonly string[]): void {
  for (const key of ["connection", "proxy-connection"]) {
    const values = headers.getAll(key);
    // the common case (keep-alive, close) names none of them: nothing to rewrite
    if (values.length === 0 || !values.some((v) => /forward/i.test(v))) continue;
    const kept = values.flatMap((v) => v.split(",")).map(trimOws)
      .filter((t) => t !== "" && !names.includes(t.toLowerCase()));
    if (kept.length === 0) headers.delete(key);
    else headers.set(key, kept.join(", "));
  }
}

/** Every `key` field as one comma-separated list, empty fields dropped (elements kept as sent). */
function joined(headers: HeaderList, key: string): string {
  return headers.getAll(key).map(trimOws).filter((t) => t !== "").join(", ");
}

/**
 * Rewrites the request's forwarding fields for the upstream:
 * - `X-Forwarded-For`: a trusted client's list with the client address
 *   appended; from any other client, the client address alone;
 * - `X-Forwarded-Proto`, `X-Forwarded-Host`: a trusted client's kept, else
 *   `info.proto` and the client's `Host` (none without one);
 * - `Forwarded`: a trusted client's elements with ours appended; from any
 *   other client, ours alone ({@linkcode forwardedElement}).
 *
 * These fields are also taken out of `Connection`, so a client cannot have
 * them stripped as hop-by-hop: call this before or after `stripHopByHop`.
 * `Host` is not touched (the upstream head writes the target's authority).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { applyForwarded } from "./forwarded.ts";
 * const h = new HeaderList();
 * h.append("Host", "app.example");
 * h.append("X-Forwarded-For", "203.0.113.9"); // spoofed by an untrusted client
 * applyForwarded(h, { clientIp: "192.0.2.1", trusted: false, proto: "http", host: "app.example" });
 * h.get("x-forwarded-for"); // "192.0.2.1"
 * h.get("forwarded"); // "for=192.0.2.1;proto=http;host=app.example"
 * ```
 */
export function applyForwarded(headers: HeaderList, info: ForwardedInfo): void {
  unlistFromConnection(headers, FORWARDED_FIELDS);
  const ip = normalizeIp(info.clientIp);
  const trusted = info.trusted;
  if (!trusted) {
    // the common case: whatever the client sent in these fields goes, ours are appended
    // looked up by name id: no field is decoded for this
    if (FORWARDED_FIELDS.some((f) => headers.has(f))) {
      for (const f of FORWARDED_FIELDS) headers.delete(f);
    }
    headers.append("X-Forwarded-For", ip);
    headers.append("X-Forwarded-Proto", info.proto);
    if (info.host !== null && info.host !== "") headers.append("X-Forwarded-Host", info.host);
    headers.append("Forwarded", forwardedFor(ip, info.proto, info.host));
    return;
  }
  const xff = trusted ? joined(headers, "x-forwarded-for") : "";
  headers.set("X-Forwarded-For", xff === "" ? ip : `${xff}, ${ip}`);
  if (!trusted || !headers.has("x-forwarded-proto")) headers.set("X-Forwarded-Proto", info.proto);
  if (!trusted || !headers.has("x-forwarded-host")) {
    if (info.host === null || info.host === "") headers.delete("x-forwarded-host");
    else headers.set("X-Forwarded-Host", info.host);
  }
  const element = forwardedFor(ip, info.proto, info.host);
  const prev = trusted ? joined(headers, "forwarded") : "";
  headers.set("Forwarded", prev === "" ? element : `${prev}, ${element}`);
}
