/**
 * Where a reverse-proxied request goes: an origin-form (or `OPTIONS *`)
 * request to one `--upstream` server, as the same {@linkcode Target} a
 * forwarded absolute-form request has, so the upstream head, the pool and the
 * policy treat both alike. Sans-io.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import { parseAuthorityTarget, type Target } from "../http1/target.ts";

/**
 * The `Host` sent upstream: `--upstream-host` when set, else the client's
 * (kept as sent, as nginx's `proxy_set_header Host $host` users expect),
 * else (an HTTP/1.0 client without one) the upstream's own authority.
 *
 * @example
 * ```ts
 * import { upstreamHostHeader } from "./target.ts";
 * upstreamHostHeader("www.example.com", null, "10.0.0.1:8000"); // "www.example.com"
 * upstreamHostHeader("www.example.com", "app.internal", "10.0.0.1:8000"); // "app.internal"
 * upstreamHostHeader(null, null, "10.0.0.1:8000"); // "10.0.0.1:8000"
 * ```
 */
export function upstreamHostHeader(
  clientHost: string | null,
  upstreamHost: string | null,
  upstream: string,
): string {
  if (upstreamHost !== null) return upstreamHost;
  if (clientHost !== null && clientHost !== "") return clientHost;
  return upstream.endsWith(":80") ? upstream.slice(0, -3) : upstream;
}

/** Parsed upstream authorities: they come from the configuration, so this stays small. */
const parsed = new Map<string, { host: string; port: number }>();

function hostPort(upstream: string): { host: string; port: number } {
  let hp = parsed.get(upstream);
  if (hp === undefined) {
    const { host, port } = parseAuthorityTarget(upstream);
    hp = { host, port };
    if (parsed.size >= 256) parsed.clear();
    parsed.set(upstream, hp);
  }
  return hp;
}

/**
 * The target of a reverse-proxied request: the `upstream` server
 * (`Config.upstreams` form, `host:port`) to connect to, the request's own
 * origin-form target as the path, and `hostHeader`
 * ({@linkcode upstreamHostHeader}) as the authority the upstream head writes
 * in `Host`. Throws a `ParseError` (400 `bad-target`) for a target that is
 * neither origin-form nor an `OPTIONS *`.
 *
 * @example
 * ```ts
 * import { reverseTarget } from "./target.ts";
 * reverseTarget("GET", "/a?b", "[::1]:8000", "www.example.com");
 * // { host: "::1", port: 8000, path: "/a?b", authority: "www.example.com" }
 * ```
 */
export function reverseTarget(
  method: string,
  requestTarget: string,
  upstream: string,
  hostHeader: string,
): Target {
  const asterisk = requestTarget === "*" && method === "OPTIONS";
  if (!asterisk && !requestTarget.startsWith("/")) {
    throw new ParseError(
      400,
      "bad-target",
      "Cannot parse request target: expected a path (origin-form) for the upstream server",
    );
  }
  const { host, port } = hostPort(upstream);
  return { host, port, path: requestTarget, authority: hostHeader };
}
