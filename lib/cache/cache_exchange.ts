/**
 * The forward proxy with the cache in front: a GET or HEAD is answered from
 * a stored response when the policy allows, waits on another request's fill
 * for the same key (collapsing), or goes forward with a hook that stores the
 * response while it is relayed, freshens a stored one on 304, or falls back
 * to a stale one when the origin fails. Unsafe methods invalidate; `PURGE`
 * removes. The sans-io decisions are in decide.ts, storable.ts, update.ts;
 * writing stored responses is serve_stored.ts.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";
import { type Duplex, Endpoint } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import type { Forwarder } from "../forward/forwarder.ts";
import type { HookAction, ResponseHook } from "../forward/response_hook.ts";
import type { BodyFraming } from "../http1/framing.ts";
import { HeaderList } from "../http1/headers.ts";
import type { ResponseHead } from "../http1/parse.ts";
import type { Target } from "../http1/target.ts";
import { requestedUpgrade } from "../http1/upgrade.ts";
import { inBackground } from "./background.ts";
import { requestCacheControl, serveStaleOnError } from "./decide.ts";
import { decide } from "./decide.ts";
import { createEntry, type StoredResponse } from "./entry.ts";
import { Fill } from "./fill.ts";
import { isFresh } from "./freshness.ts";
import type { HttpCache } from "./http_cache.ts";
import { cacheKey, invalidations } from "./invalidation.ts";
import { cacheStatus, type CacheStatusFields } from "./response.ts";
import { purge, serveStored, streamFill } from "./serve_stored.ts";
import { storable } from "./storable.ts";
import { updateFrom304 } from "./update.ts";

/** Failures that mean the origin could not be reached at all (RFC 9111 section 4.2.4). */
const UNREACHABLE = new Set([
  "dns-failure",
  "upstream-refused",
  "upstream-unreachable",
  "upstream-connect-timeout",
]);

/** Runs one proxy exchange (not CONNECT) through the cache; returns whether the connection goes on. */
export async function cacheExchange(
  scope: ExchangeScope,
  target: Target,
  framing: BodyFraming,
  forwarder: Forwarder,
  cache: HttpCache,
): Promise<boolean> {
  const { ex, req } = scope;
  const name = scope.config.viaName || "sluice";
  const uri = `http://${target.authority}${target.path}`;
  const key = cacheKey(uri);
  const forward = (hook: ResponseHook | null) => {
    ex.transition("head");
    return forwarder.forward(scope, target, framing, hook);
  };
  if (req.method === "PURGE" && key !== null) return done(scope, await purge(scope, cache, key));
  // an upgrade (WebSocket) is never cached: straight on
  if (key === null || requestedUpgrade(req) !== null) return await forward(null);
  if (req.method !== "GET" && req.method !== "HEAD") {
    return await forward(invalidating(scope, cache, uri, name));
  }
  const now = Date.now();
  // a body the cache would not read, or preconditions only the origin can judge: straight on
  const bypass = framing.kind !== "none" || req.headers.has("if-match") ||
    req.headers.has("if-unmodified-since");
  if (bypass) return await forward(storing(scope, cache, key, uri, null, now, { fwd: "bypass" }));
  const entry = cache.lookup(key, req.headers);
  let fields: CacheStatusFields = { fwd: cache.has(key) ? "vary-miss" : "uri-miss" };
  if (entry) {
    const d = decide(req, entry, now, cache.policy);
    if (d.kind === "fresh") {
      ex.transition("serve");
      const s = cacheStatus(name, { hit: true, ttl: d.ttl });
      return done(scope, await serveStored(scope, entry, now, s));
    }
    if (d.kind === "only-if-cached") throw notCached();
    if (d.kind === "stale-while-revalidate") {
      // the stale response now, a fresh one fetched behind it (RFC 5861)
      ex.transition("serve");
      const s = cacheStatus(name, { hit: true, ttl: d.ttl, detail: "stale-while-revalidate" });
      const keep = await serveStored(scope, entry, now, s);
      inBackground(
        scope,
        target,
        key,
        (bg, fwd) => revalidate(bg, cache, key, uri, entry, d.conditional, Date.now(), fwd),
      );
      return done(scope, keep);
    }
    if (d.kind !== "miss") {
      return await revalidate(scope, cache, key, uri, entry, d.conditional, now, forward);
    }
  }
  if (requestCacheControl(req.headers, cache.policy).onlyIfCached) throw notCached();
  if (req.method === "GET") {
    const inflight = cache.fillFor(key);
    if (inflight) {
      const served = await waitOn(scope, cache, inflight, name);
      if (served !== null) return served;
      fields = { ...fields, detail: "collapse-released" };
      return await forward(storing(scope, cache, key, uri, null, now, fields));
    }
    const fill = cache.startFill(key);
    // the requester may leave mid-body; while others wait on its fill the body still comes in
    const filling: ExchangeScope = { ...scope, client: fillingClient(scope.client, fill) };
    try {
      ex.transition("head");
      return await forwarder.forward(
        filling,
        target,
        framing,
        storing(filling, cache, key, uri, fill, now, fields),
      );
    } finally {
      // a failure before the head (refused, unreachable) never reached the hook's end
      if (fill.state === "open" && fill.verdict === null) {
        fill.fail();
        cache.endFill(key, fill, null);
      }
    }
  }
  return await forward(storing(scope, cache, key, uri, null, now, fields));
}

/**
 * The client endpoint of the request that fills `fill`: the same socket and
 * buffer, except that once a write fails while other requests wait on the
 * fill, this and later writes are dropped (the client has left) instead of
 * ending the relay, so the body still arrives for them and is stored.
 */
function fillingClient(client: Endpoint, fill: Fill): Endpoint {
  const conn = client.conn;
  let gone = false;
  const surviving: Duplex = {
    read: (p) => conn.read(p),
    write: async (p) => {
      if (gone) return p.length;
      try {
        return await conn.write(p);
      } catch (err) {
        if (fill.waiters === 0 || fill.state !== "open") throw err;
        gone = true;
        return p.length;
      }
    },
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
  };
  return new Endpoint(surviving, client.buf, "client");
}

/** The end of an exchange the cache answered itself. */
function done(scope: ExchangeScope, keep: boolean): boolean {
  scope.ex.transition(keep ? "keepalive" : "close");
  return keep;
}

function notCached(): ProxyError {
  return new ProxyError(504, "not-cached", "only-if-cached: no stored response can be used");
}

/** A request arriving during another's fill: waits for its head, then streams from it, or returns null (go to the origin). */
async function waitOn(
  scope: ExchangeScope,
  cache: HttpCache,
  fill: Fill,
  name: string,
): Promise<boolean | null> {
  fill.waiters++;
  const deadline = Date.now() + cache.options.lockTimeoutMs;
  while (fill.verdict === null && Date.now() < deadline) await fill.changed(deadline - Date.now());
  const v = fill.verdict;
  if (v?.kind !== "use" || fill.state === "failed") return null;
  if (v.length === null) {
    // an unknown length is served once complete: until then the origin is still an option
    while (fill.state === "open") await fill.changed(cache.options.lockTimeoutMs);
    if (fill.state !== "done") return null;
  }
  const s = cacheStatus(name, { hit: true, collapsed: true });
  scope.ex.transition("serve");
  return done(
    scope,
    await streamFill(scope, fill, v.entry, v.length, s, cache.options.lockTimeoutMs),
  );
}

/** Forwards with the stored response's validators; a 304 freshens and serves it, a failure may serve it stale. */
async function revalidate(
  scope: ExchangeScope,
  cache: HttpCache,
  key: string,
  uri: string,
  entry: StoredResponse,
  conditional: HeaderList,
  now: number,
  forward: (hook: ResponseHook | null) => Promise<boolean>,
): Promise<boolean> {
  const { req } = scope;
  const name = scope.config.viaName || "sluice";
  const ours = conditional.size > 0;
  // the client's own validators are evaluated against the freshened response, ours go upstream
  const client = new HeaderList();
  if (ours) {
    for (const k of ["if-none-match", "if-modified-since"]) {
      for (const v of req.headers.getAll(k)) client.append(k, v);
      req.headers.delete(k);
    }
    for (let i = 0; i < conditional.size; i++) {
      req.headers.append(conditional.names[i], conditional.values[i]);
    }
  }
  const restore = () => {
    if (!ours) return;
    for (let i = 0; i < conditional.size; i++) req.headers.delete(conditional.keys[i]);
    for (let i = 0; i < client.size; i++) req.headers.append(client.names[i], client.values[i]);
  };
  const store = storing(scope, cache, key, uri, null, now, { fwd: "stale" });
  const hook: ResponseHook = {
    head(res: ResponseHead, framing: BodyFraming): HookAction {
      const t = Date.now();
      if (res.status === 304 && ours) {
        const fresh = updateFrom304(entry, res.headers, t, now);
        cache.put(key, fresh);
        restore();
        const s = cacheStatus(name, { fwd: "stale", fwdStatus: 304 });
        return { kind: "answer", answer: () => serveStored(scope, fresh, t, s) };
      }
      if (res.status >= 500 && serveStaleOnError(entry, req, t, res.status, cache.policy)) {
        restore();
        const s = cacheStatus(name, {
          fwd: "stale",
          fwdStatus: res.status,
          detail: "stale-if-error",
        });
        return { kind: "answer", answer: () => serveStored(scope, entry, t, s) };
      }
      return store.head(res, framing);
    },
    end: (ok) => store.end(ok),
  };
  try {
    return await forward(hook);
  } catch (err) {
    const e = err as ProxyError;
    const t = Date.now();
    if (
      !(e instanceof ProxyError) || !UNREACHABLE.has(e.reason) || scope.ex.clientWritten > 0 ||
      !serveStaleOnError(entry, req, t, "unreachable", cache.policy)
    ) throw err;
    // the origin cannot be reached at all: a disconnected cache may serve stale (RFC 9111 section 4.2.4)
    restore();
    scope.ex.transition("fail");
    scope.ex.reason = e.reason;
    const s = cacheStatus(name, { hit: true, detail: "stale-origin-unreachable" });
    return done(scope, await serveStored(scope, entry, t, s));
  }
}

/** The hook of a forwarded GET/HEAD: stores a storable response while it is relayed. */
function storing(
  scope: ExchangeScope,
  cache: HttpCache,
  key: string,
  uri: string,
  fill: Fill | null,
  requestTime: number,
  fields: CacheStatusFields,
): ResponseHook {
  const { req } = scope;
  const name = scope.config.viaName || "sluice";
  let entry: StoredResponse | null = null;
  // a private sink only for a response that will be stored (most forwarded ones are not)
  let sink: Fill | null = fill;
  return {
    head(res: ResponseHead, framing: BodyFraming): HookAction {
      const t = Date.now();
      const d = storable({ method: req.method, target: uri, headers: req.headers }, res);
      const length = framing.kind === "length"
        ? framing.length
        : framing.kind === "none"
        ? 0
        : null;
      const fits = length === null || length <= cache.options.maxObjectBytes;
      if (d.store && req.method === "GET" && fits) {
        entry = createEntry(req, res, { requestTime, responseTime: t });
        sink ??= new Fill(cache.options.maxObjectBytes);
        // waiters use it only if it can serve them: fresh on arrival; a stale
        // one is still stored (for disconnected use), not shared
        sink.begin(entry, length, isFresh(entry, t, cache.policy));
      } else sink?.release();
      const detail = d.store ? (fits ? fields.detail : "too-large") : d.reason;
      const status = cacheStatus(name, { ...fields, stored: entry !== null, detail });
      scope.ex.cache = status;
      return { kind: "relay", sink: entry ? sink : null, fields: [["Cache-Status", status]] };
    },
    end(ok: boolean): void {
      let stored: StoredResponse | null = null;
      if (entry && sink && ok && sink.finish()) {
        const body = sink.take();
        stored = { ...entry, body, bodyLength: body.length };
      } else sink?.fail();
      if (fill) cache.endFill(key, fill, stored);
      else if (stored) cache.put(key, stored);
    },
  };
}

/** The hook of an unsafe method: a success invalidates the target and same-origin locations. */
function invalidating(
  scope: ExchangeScope,
  cache: HttpCache,
  uri: string,
  name: string,
): ResponseHook {
  return {
    head(res: ResponseHead): HookAction {
      const keys = invalidations(scope.req.method, res.status, uri, res.headers);
      const n = keys.length > 0 ? cache.invalidate(keys) : 0;
      const status = cacheStatus(name, {
        fwd: "method",
        detail: n > 0 ? "invalidated" : undefined,
      });
      scope.ex.cache = status;
      return { kind: "relay", sink: null, fields: [["Cache-Status", status]] };
    },
    end(): void {},
  };
}
