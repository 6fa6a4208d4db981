/**
 * Request targets (RFC 9112 section 3.2): absolute-form for plain requests,
 * authority-form for CONNECT; host, port and IPv6 brackets.
 *
 * @module
 */

import { ParseError } from "../errors.ts";

/** Where a request goes. */
export interface Target {
  /**
   * Host name or IP literal, lower-case, IPv6 without brackets, without a
   * trailing dot (`localhost.` is `localhost`, `127.0.0.1.` the IP literal):
   * what is resolved and what the access rules see.
   */
  host: string;
  /** Port number. */
  port: number;
  /** Origin-form to send upstream (`/path?query`); `""` for CONNECT. */
  path: string;
  /**
   * Value for the `Host` header: the host as the client wrote it (lower-case,
   * IPv6 bracketed, a trailing dot kept, as a browser going direct sends it)
   * and the port when not the default.
   */
  authority: string;
}

const REG_NAME = /^[a-z0-9._~!$&'()*+,;=%-]+$/;
const IPV6 = /^[0-9a-f:.]+$/;

function bad(what: string): ParseError {
  return new ParseError(400, "bad-target", `Cannot parse request target: ${what}`);
}

/** What {@linkcode splitAuthority} found. */
interface Authority {
  /** The host without one trailing dot. */
  host: string;
  /** The host as written (for `Host`). */
  written: string;
  /** The port, -1 when absent. */
  port: number;
  /** Whether the host is a bracketed IPv6 literal. */
  v6: boolean;
  /** The `Host` value of an absolute-form target (port 80 left out), once made. */
  hostField?: string;
}

/** Authorities seen lately: clients name the same few hosts again and again. */
const AUTHORITIES = new Map<string, Authority>();
/** The memo is cleared when it holds this many. */
const MAX_AUTHORITIES = 1024;

/** {@linkcode parseAuthority}, remembered for the last authorities seen. */
function splitAuthority(auth: string): Authority {
  let a = AUTHORITIES.get(auth);
  if (a !== undefined) return a;
  a = parseAuthority(auth);
  if (AUTHORITIES.size >= MAX_AUTHORITIES) AUTHORITIES.clear();
  AUTHORITIES.set(auth, a);
  return a;
}

/** Splits `host[:port]` (with `[v6]` literals); port -1 when absent. */
function parseAuthority(auth: string): Authority {
  let host: string;
  let rest: string;
  let v6 = false;
  if (auth.startsWith("[")) {
    const close = auth.indexOf("]");
    if (close < 0) throw bad("unclosed IPv6 literal");
    host = auth.slice(1, close).toLowerCase();
    if (!IPV6.test(host) || !host.includes(":")) throw bad("invalid IPv6 literal");
    rest = auth.slice(close + 1);
    v6 = true;
  } else {
    const colon = auth.lastIndexOf(":");
    host = (colon < 0 ? auth : auth.slice(0, colon)).toLowerCase();
    rest = colon < 0 ? "" : auth.slice(colon);
    if (host.length === 0) throw bad("missing host");
    if (!REG_NAME.test(host)) throw bad("invalid host");
  }
  const written = host;
  // a fully qualified name (`localhost.`) is the same host as without the dot
  if (!v6 && host.endsWith(".")) host = host.slice(0, -1);
  if (host.length === 0 || host.endsWith(".")) throw bad("invalid host");
  if (host.length > 253) throw bad("host name too long");
  if (rest === "") return { host, written, port: -1, v6 };
  if (!/^:[0-9]{1,5}$/.test(rest)) throw bad("invalid port");
  const port = Number(rest.slice(1));
  if (port < 1 || port > 65535) throw bad("port out of range");
  return { host, written, port, v6 };
}

function authorityOf(host: string, port: number, v6: boolean, defaultPort: number): string {
  const h = v6 ? `[${host}]` : host;
  return port === defaultPort ? h : `${h}:${port}`;
}

/**
 * Parses an absolute-form target (`http://host[:port]/path?query`).
 *
 * @example
 * ```ts
 * import { parseAbsoluteTarget } from "./target.ts";
 * console.log(parseAbsoluteTarget("http://[::1]:8000/a?b"));
 * // { host: "::1", port: 8000, path: "/a?b", authority: "[::1]:8000" }
 * ```
 */
export function parseAbsoluteTarget(target: string): Target {
  if (target.startsWith("/")) {
    throw new ParseError(
      400,
      "origin-form",
      "Cannot parse request target: this is a forward proxy; send the full URL (absolute-form), e.g. configure it as your HTTP proxy",
    );
  }
  const sep = target.indexOf("://");
  if (sep < 0) throw bad("not an absolute URL");
  if (
    sep !== 4 || (target.charCodeAt(0) | 0x20) !== 104 || (target.charCodeAt(1) | 0x20) !== 116 ||
    (target.charCodeAt(2) | 0x20) !== 116 || (target.charCodeAt(3) | 0x20) !== 112
  ) {
    const scheme = target.slice(0, sep).toLowerCase();
    if (scheme !== "http") {
      throw bad(`scheme "${scheme}" is not supported; use CONNECT for https`);
    }
  }
  // indexes into the target, one slice for the authority and one for the path
  const from = sep + 3;
  const hash = target.indexOf("#", from);
  const end = hash < 0 ? target.length : hash;
  let pathAt = end;
  for (let i = from; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 47 || c === 63) { // "/" or "?"
      pathAt = i;
      break;
    }
    if (c === 64) throw bad("user information in the URL is not allowed"); // "@"
  }
  const auth = target.slice(from, pathAt);
  let path = pathAt === end ? "/" : target.slice(pathAt, end);
  if (path.charCodeAt(0) === 63) path = "/" + path;
  const a = splitAuthority(auth);
  const p = a.port < 0 ? 80 : a.port;
  return {
    host: a.host,
    port: p,
    path,
    authority: a.hostField ??= authorityOf(a.written, p, a.v6, 80),
  };
}

/**
 * Parses an authority-form target (`host:port`) of a CONNECT request; the port
 * is required.
 *
 * @example
 * ```ts
 * import { parseAuthorityTarget } from "./target.ts";
 * console.log(parseAuthorityTarget("example.com:443").port); // 443
 * ```
 */
export function parseAuthorityTarget(target: string): Target {
  const { host, written, port, v6 } = splitAuthority(target);
  if (port < 0) throw bad("CONNECT needs host:port");
  return { host, port, path: "", authority: authorityOf(written, port, v6, -1) };
}

/**
 * `host:port`, with an IPv6 literal in brackets: `example.com:80`,
 * `[::1]:8080`. The one formatter for listen addresses, peers, log lines and
 * messages.
 *
 * @example
 * ```ts
 * import { formatAuthority } from "./target.ts";
 * formatAuthority("::1", 8080); // "[::1]:8080"
 * ```
 */
export function formatAuthority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
