/**
 * Writing answers from the cache to the client: a stored response (with the
 * client's conditional request and `Range` applied), a response still being
 * filled (collapsed requests stream it as it arrives), and `PURGE`.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { parseHttpDate } from "../files/http_date.ts";
import { contentRange, ifRangeAllows, parseRange, unsatisfiedRange } from "../files/ranges.ts";
import { HeaderList } from "../http1/headers.ts";
import { Cidr } from "../policy/address.ts";
import { send } from "../endpoint_io.ts";
import { MAX_DELTA_SECONDS } from "./cache_control.ts";
import { cachedHead, type CachedHeadOptions, headPrefix, headTail } from "./cached_head.ts";
import { clientConditional } from "./decide.ts";
import type { StoredResponse } from "./entry.ts";
import type { Fill } from "./fill.ts";
import { currentAge } from "./freshness.ts";
import type { HttpCache } from "./http_cache.ts";
import { notModifiedHeadFor, responseHeadFor } from "./response.ts";

const EMPTY = new Uint8Array(0);
/** Bodies up to this size leave in the same write as the head. */
const JOIN_LIMIT = 64 * 1024;

function options(scope: ExchangeScope, status: number, cacheStatus: string): CachedHeadOptions {
  const { config, req } = scope;
  scope.ex.status = status;
  scope.ex.cache = cacheStatus;
  return {
    status,
    cacheStatus,
    via: config.via ? config.viaName : "",
    keepAlive: scope.keepAlive,
    minor: req.minor,
  };
}

async function sendJoined(scope: ExchangeScope, head: Uint8Array, body: Uint8Array): Promise<void> {
  const { client, ex } = scope;
  if (body.length === 0) return await send(client, head, ex);
  if (body.length > JOIN_LIMIT) {
    await send(client, head, ex);
    return await send(client, body, ex);
  }
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  await send(client, out, ex);
}

/**
 * Answers the request with `entry`: 304 when the client's validators match,
 * 206/416 for a `Range` on a stored 200, else the whole response (no body for
 * HEAD). Returns whether the connection goes on.
 */
export async function serveStored(
  scope: ExchangeScope,
  entry: StoredResponse,
  now: number,
  cacheStatus: string,
): Promise<boolean> {
  const { req } = scope;
  if (clientConditional(req.method, req.headers, entry) === 304) {
    const head = cachedHead(notModifiedHeadFor(entry, now), options(scope, 304, cacheStatus));
    await sendJoined(scope, head, EMPTY);
    return scope.keepAlive;
  }
  const body = entry.body ?? EMPTY;
  const range = req.method === "GET" && entry.status === 200 && entry.body !== null
    ? req.headers.get("range")
    : undefined;
  if (range !== undefined) {
    const lm = entry.headers.get("last-modified");
    const lmMs = lm === undefined ? NaN : parseHttpDate(lm) ?? NaN;
    const etag = entry.headers.get("etag") ?? "";
    if (ifRangeAllows(req.headers.get("if-range"), etag, lmMs)) {
      const r = parseRange(range, body.length);
      const fields = responseHeadFor(entry, now);
      if (r.kind === "unsatisfiable") {
        const o = options(scope, 416, cacheStatus);
        fields.delete("content-type");
        const head = cachedHead(fields, {
          ...o,
          contentLength: 0,
          contentRange: unsatisfiedRange(body.length),
        });
        await sendJoined(scope, head, EMPTY);
        return scope.keepAlive;
      }
      if (r.kind === "ranges" && r.ranges.length === 1) {
        const { start, end } = r.ranges[0];
        const o = options(scope, 206, cacheStatus);
        const head = cachedHead(fields, {
          ...o,
          contentLength: end - start + 1,
          contentRange: contentRange(start, end, body.length),
        });
        await sendJoined(scope, head, body.subarray(start, end + 1));
        return scope.keepAlive;
      }
      // several ranges: the whole response (a server may ignore Range)
    }
  }
  await sendWhole(scope, entry, now, cacheStatus, req.method === "HEAD" ? EMPTY : body);
  return scope.keepAlive;
}

const encoder = new TextEncoder();

/** The whole stored response: the memoized head part, the per-answer tail, the body, in one write when small. */
async function sendWhole(
  scope: ExchangeScope,
  entry: StoredResponse,
  now: number,
  cacheStatus: string,
  body: Uint8Array,
): Promise<void> {
  const prefix = headPrefix(entry);
  const age = Math.min(MAX_DELTA_SECONDS, Math.floor(currentAge(entry, now)));
  const tail = headTail(age, options(scope, entry.status, cacheStatus));
  // the tail is ASCII: one byte a character
  const joined = body.length <= JOIN_LIMIT;
  const out = new Uint8Array(prefix.length + tail.length + (joined ? body.length : 0));
  out.set(prefix);
  encoder.encodeInto(tail, out.subarray(prefix.length));
  if (joined) out.set(body, prefix.length + tail.length);
  await send(scope.client, out, scope.ex);
  if (!joined) await send(scope.client, body, scope.ex);
}

/**
 * Streams a response that another request is filling: the head at once, the
 * body as it arrives. `length` is the announced length, or `null` (the whole
 * body is awaited, then served). A fill that fails midway ends the
 * connection (the head is out). Waits at most `stallMs` for each change.
 */
export async function streamFill(
  scope: ExchangeScope,
  fill: Fill,
  entry: StoredResponse,
  length: number | null,
  cacheStatus: string,
  stallMs: number,
): Promise<boolean> {
  const { ex, client, req } = scope;
  const failed = () =>
    new ProxyError(502, "upstream-closed", "The response this request waited on did not complete");
  if (length === null) {
    while (fill.state === "open") await fill.changed(stallMs);
    if (fill.state !== "done") throw failed();
    const body = fill.body;
    return await serveStored(
      scope,
      { ...entry, body, bodyLength: body.length },
      Date.now(),
      cacheStatus,
    );
  }
  const fields = responseHeadFor({ ...entry, bodyLength: length }, Date.now());
  const head = cachedHead(fields, {
    ...options(scope, entry.status, cacheStatus),
    reason: entry.reason,
  });
  await send(client, head, ex);
  ex.responseStarted = true;
  if (req.method === "HEAD") return scope.keepAlive;
  let sent = 0;
  while (sent < length) {
    if (fill.received > sent) {
      const chunk = fill.body.subarray(sent, fill.received);
      await send(client, chunk, ex);
      sent += chunk.length;
      continue;
    }
    if (fill.state !== "open") throw failed();
    await fill.changed(stallMs);
  }
  return scope.keepAlive;
}

/** `PURGE URI`: removes every variant, for clients in `--allow-purge`; others get 405. */
export async function purge(scope: ExchangeScope, cache: HttpCache, key: string): Promise<boolean> {
  const { config, ex, clientIp } = scope;
  const allowed = clientIp !== "" &&
    config.allowPurge.some((c) => Cidr.parse(c).contains(clientIp));
  if (!allowed) {
    throw new ProxyError(
      405,
      "method-not-allowed",
      "PURGE is not allowed from this address; start sluice with --allow-purge CIDR to allow it",
    );
  }
  const n = cache.invalidate([key]);
  ex.transition("serve");
  const body = new TextEncoder().encode(
    n > 0 ? `purged ${n} stored response(s)\n` : "not in the cache\n",
  );
  const fields = new HeaderList();
  fields.append("Content-Type", "text/plain; charset=utf-8");
  const o = options(scope, n > 0 ? 200 : 404, "");
  await sendJoined(scope, cachedHead(fields, { ...o, contentLength: body.length }), body);
  return scope.keepAlive;
}
