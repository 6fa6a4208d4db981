/**
 * The reverse proxy (`--upstream URL`): an origin-form request that no file
 * answers goes to the configured servers in turn, in origin-form, over the
 * same keep-alive pool as forwarded requests, with `X-Forwarded-*` and
 * `Forwarded` added. A server that refuses or does not accept in time is
 * skipped for `--upstream-down-time` and the request goes to the next one,
 * unless something was already sent; when none is left, 502.
 *
 * @module
 */

import { now } from "../clock.ts";
import type { Config } from "../config.ts";
import { ProxyError } from "../errors.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import type { Forwarder } from "../forward/forwarder.ts";
import { requestFraming } from "../http1/framing.ts";
import { State } from "../state.ts";
import { applyForwarded, TrustedProxies } from "./forwarded.ts";
import { reverseTarget, upstreamHostHeader } from "./target.ts";
import type { UpstreamSet } from "./upstreams.ts";

/** Failures that mean the server did not take the connection. */
const CONNECT_FAILURES = new Set([
  "upstream-refused",
  "upstream-unreachable",
  "upstream-connect-timeout",
  "dns-failure",
]);

/** The trusted-proxy ranges of each configuration, parsed once. */
const trusted = new WeakMap<Config, TrustedProxies>();

function trustedOf(config: Config): TrustedProxies {
  let t = trusted.get(config);
  if (t === undefined) {
    t = new TrustedProxies(config.trustedProxies);
    trusted.set(config, t);
  }
  return t;
}

/**
 * Sends the request to the next live upstream server and relays its
 * response; returns whether the client connection goes on.
 */
export async function reverseExchange(
  scope: ExchangeScope,
  forwarder: Forwarder,
  upstreams: UpstreamSet,
): Promise<boolean> {
  const { req, ex, config, clientIp } = scope;
  const clientHost = req.headers.get("host") ?? null;
  applyForwarded(req.headers, {
    clientIp,
    trusted: clientIp !== "" && trustedOf(config).has(clientIp),
    proto: "http",
    host: clientHost,
  });
  const framing = requestFraming(req);
  // the servers this request failed on (made at the first failure: most requests never fail)
  let tried: Set<string> | undefined;
  ex.transition("head");
  for (;;) {
    const u = upstreams.pick(now(), tried);
    if (u === null) {
      throw new ProxyError(
        502,
        "upstream-unreachable",
        `No --upstream server is reachable (tried ${tried?.size ?? 0} of ${upstreams.size}; ` +
          `a failed one is skipped for --upstream-down-time)`,
      );
    }
    const target = reverseTarget(
      req.method,
      req.target,
      u,
      upstreamHostHeader(clientHost, config.upstreamHost, u),
    );
    try {
      const keep = await forwarder.forward(scope, target, framing, null, { trusted: true });
      upstreams.markUp(u);
      return keep;
    } catch (err) {
      // nothing sent yet and the server did not take the connection: the next one
      const retry = err instanceof ProxyError && CONNECT_FAILURES.has(err.reason) &&
        ex.state === State.SEND_REQUEST && ex.serverWritten === 0;
      if (!retry) throw err;
      upstreams.markDown(u, now());
      (tried ??= new Set()).add(u);
      ex.server = null;
    }
  }
}
