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
import { type BodyFraming, requestFraming } from "../http1/framing.ts";
import type { Target } from "../http1/target.ts";
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
export function reverseExchange(
  scope: ExchangeScope,
  forwarder: Forwarder,
  upstreams: UpstreamSet,
): Promise<boolean> {
  const { req, ex, config, clientIp } = scope;
  const clientHost = req.headers.get("host") ?? null;
  let framing: BodyFraming;
  try {
    applyForwarded(req.headers, {
      clientIp,
      trusted: clientIp !== "" && trustedOf(config).has(clientIp),
      proto: "http",
      host: clientHost,
    });
    framing = requestFraming(req); // 400 for a request that cannot be framed
    ex.transition("head");
  } catch (err) {
    return Promise.reject(err);
  }
  return attempt(scope, forwarder, upstreams, framing, clientHost, undefined);
}

/** Forwards options of a reverse-proxied request: the upstream is the operator's choice. */
const TRUSTED = Object.freeze({ trusted: true });

/**
 * One try on the next server (no async frame of its own: the common request
 * is one try); `tried` holds the servers this request failed on, made at the
 * first failure.
 */
function attempt(
  scope: ExchangeScope,
  forwarder: Forwarder,
  upstreams: UpstreamSet,
  framing: BodyFraming,
  clientHost: string | null,
  tried: Set<string> | undefined,
): Promise<boolean> {
  const { req, ex, config } = scope;
  const u = upstreams.pick(now(), tried);
  if (u === null) {
    return Promise.reject(
      new ProxyError(
        502,
        "upstream-unreachable",
        `No --upstream server is reachable (tried ${tried?.size ?? 0} of ${upstreams.size}; ` +
          `a failed one is skipped for --upstream-down-time)`,
      ),
    );
  }
  let target: Target;
  try {
    target = reverseTarget(
      req.method,
      req.target,
      u,
      upstreamHostHeader(clientHost, config.upstreamHost, u),
    );
  } catch (err) {
    return Promise.reject(err);
  }
  return forwarder.forward(scope, target, framing, null, TRUSTED).then(
    (keep) => {
      upstreams.markUp(u);
      return keep;
    },
    (err) => {
      // nothing sent yet and the server did not take the connection: the next one
      const retry = err instanceof ProxyError && CONNECT_FAILURES.has(err.reason) &&
        ex.state === State.SEND_REQUEST && ex.serverWritten === 0;
      if (!retry) throw err;
      upstreams.markDown(u, now());
      (tried ??= new Set()).add(u);
      ex.server = null;
      return attempt(scope, forwarder, upstreams, framing, clientHost, tried);
    },
  );
}
