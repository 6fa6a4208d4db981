/**
 * Who answers an exchange, decided once after READ_REQUEST from the request
 * line and the configuration: the forward proxy (absolute-form), a tunnel
 * (CONNECT), or the file server (origin-form under `--root`, and
 * absolute-form naming sluice itself). Pure: no I/O.
 *
 * @module
 */

import { ProxyError } from "./errors.ts";
import { parseAbsoluteTarget, parseAuthorityTarget, type Target } from "./http1/target.ts";

/** The answer to "who serves this request?". */
export type Route =
  | { kind: "forward"; target: Target }
  | { kind: "tunnel"; target: Target }
  | { kind: "files"; path: string }
  | { kind: "upstream" };

/** What routing needs to know of the configuration. */
export interface RouteConfig {
  /** Whether `--root` is set. */
  files: boolean;
  /** Whether proxy requests are served (`--no-forward` clears it). */
  forward: boolean;
  /** Whether `--upstream` servers answer origin-form requests (reverse proxy). */
  upstream: boolean;
  /** Whether `host:port` is one of sluice's own listen addresses. */
  isSelf(host: string, port: number): boolean;
}

/** The route of every request an `--upstream` server answers (one object for all). */
const TO_UPSTREAM: Route = Object.freeze({ kind: "upstream" });

function forwardDisabled(what: string): ProxyError {
  return new ProxyError(
    403,
    "forward-disabled",
    `${what} refused: this server runs with --no-forward (a web server only); ` +
      "start it without --no-forward to proxy",
  );
}

/**
 * Routes a request by its method and target.
 *
 * @throws {ProxyError} 400 for a target that cannot be parsed (or origin-form
 * without `--root`), 403 `forward-disabled` for a proxy request under
 * `--no-forward`.
 *
 * @example
 * ```ts
 * import { route } from "./route.ts";
 * const cfg = { files: true, forward: true, upstream: false, isSelf: () => false };
 * console.log(route("GET", "/index.html", cfg)); // { kind: "files", path: "/index.html" }
 * console.log(route("GET", "http://example.com/", cfg).kind); // "forward"
 * ```
 */
export function route(method: string, target: string, cfg: RouteConfig): Route {
  if (method === "CONNECT") {
    if (!cfg.forward) throw forwardDisabled("CONNECT");
    return { kind: "tunnel", target: parseAuthorityTarget(target) };
  }
  if (target.startsWith("/") || (target === "*" && method === "OPTIONS")) {
    // a file wins; what no file answers goes upstream (serveFiles' fallback)
    if (cfg.files && target !== "*") return { kind: "files", path: target };
    if (cfg.upstream) return TO_UPSTREAM;
  }
  const t = parseAbsoluteTarget(target); // origin-form without --root: 400 origin-form
  if (cfg.files && cfg.isSelf(t.host, t.port)) return { kind: "files", path: t.path };
  if (!cfg.forward) throw forwardDisabled(`A proxy request for ${target}`);
  return { kind: "forward", target: t };
}
