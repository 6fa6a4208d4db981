/**
 * The file server's side of an exchange (`--root`): READ_REQUEST ->
 * SEND_RESPONSE with no upstream. Decides the answer with the sans-io
 * modules (path rules, preconditions, ranges, the head), finds and opens the
 * file with open.ts (a small file may come from the open-file cache, in
 * memory), and streams the body through one reused window (64 KiB, or 1 MiB
 * for a long body: windows.ts) with the same backpressure as a proxied body:
 * a window is read from the file only once the previous one is written.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { requestFraming } from "../http1/framing.ts";
import { send } from "../endpoint_io.ts";
import { errorResponse } from "../responses.ts";
import { evaluatePreconditions, makeEtag } from "./conditional.ts";
import { fileResponseHead, redirectHead } from "./file_head.ts";
import { httpDate } from "./http_date.ts";
import { renderListing } from "./listing.ts";
import { contentType } from "./mime.ts";
import {
  type BodyReader,
  find,
  forbidden,
  type Found,
  type FoundFile,
  listDirectory,
  notFound,
  openBody,
} from "./open.ts";
import {
  contentRange,
  ifRangeAllows,
  multipartPlan,
  parseRange,
  unsatisfiedRange,
} from "./ranges.ts";
import { encodePath } from "./encode_path.ts";
import { resolvePath } from "./resolve.ts";
import { giveWindow, takeWindow } from "./windows.ts";

/** What a request under the root comes to, before any body byte is read. */
type Answer =
  | ({ kind: "file"; name: string } & FoundFile)
  | { kind: "redirect"; location: string }
  | { kind: "listing"; html: Uint8Array };

const ALLOW: readonly (readonly [string, string])[] = [["Allow", "GET, HEAD"]];

/**
 * Answers one origin-form request from the root. Errors the client should
 * hear (400, 403, 404, 405, 412, 416) are answered here on a connection that
 * stays open; returns whether the connection may go on.
 */
export async function serveFiles(
  scope: ExchangeScope,
  path: string,
  missing: (() => Promise<boolean>) | null = null,
): Promise<boolean> {
  const { ex, req, config } = scope;
  const framing = requestFraming(req); // a request with bad framing is refused (400) first
  // with --upstream, what no file answers goes there (nginx's try_files $uri @app):
  // other methods and paths that name no file
  let found: Answer | null = null;
  if (missing) {
    if (req.method !== "GET" && req.method !== "HEAD") return await missing();
    try {
      found = await decide(scope, path);
    } catch (err) {
      if (err instanceof ProxyError && err.status === 404) return await missing();
      // any other refusal (403, 400) is answered below, as without --upstream
    }
  }
  ex.transition("serve");
  // a body this server does not read cannot be told from a next request: close after
  let keep = scope.keepAlive && framing.kind === "none";
  try {
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new ProxyError(405, "method-not-allowed", `${req.method} is not allowed on files`);
    }
    const answer = found ?? await decide(scope, path);
    if (answer.kind === "redirect") {
      ex.status = 301;
      await send(scope.client, redirectHead(answer.location, headOptions(scope, keep, 0)), ex);
    } else if (answer.kind === "listing") {
      await sendWhole(scope, keep, answer.html, "text/html; charset=utf-8");
    } else {
      keep = await sendFile(scope, keep, answer);
    }
  } catch (err) {
    if (!(err instanceof ProxyError) || ex.clientWritten > 0) throw err;
    // an HTTP/1.0 client would not know the connection stays open: close it
    keep &&= req.minor === 1;
    ex.status = err.status;
    ex.reason = err.reason;
    // an origin server's 4xx carries Date too (RFC 9110 section 6.6.1)
    const headers = [["Date", httpDate(Date.now())] as const, ...(err.status === 405 ? ALLOW : [])];
    await send(
      scope.client,
      errorResponse(err, config.viaName, { keepAlive: keep, origin: true, headers }),
      ex,
    );
  }
  ex.transition(keep ? "keepalive" : "close");
  return keep;
}

function headOptions(scope: ExchangeScope, keep: boolean, length: number) {
  return {
    minor: scope.req.minor,
    keepAlive: keep,
    contentLength: length,
    dateMs: Date.now(),
  };
}

/** Finds what the path names: a file (maybe an index or a fallback), a redirect, a listing. */
async function decide(scope: ExchangeScope, path: string): Promise<Answer> {
  const { config } = scope;
  const root = config.rootReal!;
  const resolved = resolvePath(path);
  const shown = resolved.path;
  let found: Found;
  try {
    found = await find(root, resolved.segments, shown);
  } catch (err) {
    if (!(err instanceof ProxyError) || err.status !== 404 || config.fallback === null) throw err;
    return await fallback(root, resolved.segments, resolved.trailingSlash, config.fallback, shown);
  }
  if (found.kind === "file") {
    if (resolved.trailingSlash) throw notFound(shown); // /file.txt/ names no file
    return { kind: "file", ...found.file, name: resolved.segments.at(-1) ?? "" };
  }
  if (!resolved.trailingSlash) {
    const query = resolved.query === "" ? "" : "?" + resolved.query;
    return { kind: "redirect", location: encodePath(shown) + "/" + query };
  }
  try {
    const index = await find(root, [...resolved.segments, "index.html"], shown + "index.html");
    if (index.kind === "file") return { kind: "file", ...index.file, name: "index.html" };
  } catch (err) {
    if (!(err instanceof ProxyError) || err.status !== 404) throw err;
  }
  if (!config.dirListing) {
    throw forbidden(
      shown,
      "a folder without index.html (start sluice with --dir-listing to list it)",
    );
  }
  const entries = await listDirectory(found.real, shown);
  return { kind: "listing", html: new TextEncoder().encode(renderListing(shown, entries)) };
}

/** `--fallback`: PATH.html, then the fallback file, for a path that matched nothing. */
async function fallback(
  root: string,
  segments: readonly string[],
  trailingSlash: boolean,
  file: string,
  shown: string,
): Promise<Answer> {
  const last = segments.at(-1);
  if (last !== undefined && !trailingSlash && !last.endsWith(".html")) {
    try {
      const f = await find(root, [...segments.slice(0, -1), last + ".html"], shown);
      if (f.kind === "file") return { kind: "file", ...f.file, name: last + ".html" };
    } catch (err) {
      if (!(err instanceof ProxyError) || err.status !== 404) throw err;
    }
  }
  const parts = file.split("/").filter((s) => s !== "" && s !== ".");
  const f = await find(root, parts, shown);
  if (f.kind !== "file") throw notFound(shown);
  return { kind: "file", ...f.file, name: parts.at(-1) ?? "" };
}

async function sendWhole(
  scope: ExchangeScope,
  keep: boolean,
  body: Uint8Array,
  type: string,
): Promise<void> {
  const { ex, req, client } = scope;
  ex.status = 200;
  const head = fileResponseHead({
    status: 200,
    ...headOptions(scope, keep, body.length),
    contentType: type,
  });
  await send(client, head, ex);
  if (req.method !== "HEAD") await send(client, body, ex);
}

/** Preconditions, ranges, the head and the body of a file answer; returns whether to keep the connection. */
async function sendFile(
  scope: ExchangeScope,
  keep: boolean,
  a: Extract<Answer, { kind: "file" }>,
): Promise<boolean> {
  const { ex, req, client, timer } = scope;
  const h = req.headers;
  const etag = makeEtag(a.size, a.mtimeMs);
  const validators = { etag, lastModifiedMs: a.mtimeMs };
  const type = contentType(a.name);
  const opts = headOptions(scope, keep, 0);
  // never a Last-Modified after Date: a future mtime is sent as now (RFC 9110 section 8.8.2.1)
  const base = { ...opts, etag, lastModifiedMs: Math.min(a.mtimeMs, opts.dateMs) };
  const pre = evaluatePreconditions(req.method, {
    ifMatch: joined(h.getAll("if-match")),
    ifNoneMatch: joined(h.getAll("if-none-match")),
    ifModifiedSince: h.get("if-modified-since"),
    ifUnmodifiedSince: h.get("if-unmodified-since"),
  }, validators);
  if (pre === 304 || pre === 412) {
    ex.status = pre;
    await send(client, fileResponseHead({ ...base, status: pre, contentLength: 0 }), ex);
    return keep;
  }
  const { f, size, mtimeMs } = await openBody(a, a.name); // a small cached file: from memory
  try {
    if (size !== a.size || mtimeMs !== a.mtimeMs) {
      // changed since it was found: describe what will be read
      return await sendFile(scope, keep, { ...a, size, mtimeMs, body: null });
    }
    // Range applies to GET only (RFC 9110 section 14.2); two Range lines are no range
    const ranges = h.getAll("range");
    const range = req.method === "GET" && ranges.length === 1 &&
        ifRangeAllows(h.get("if-range"), etag, a.mtimeMs, opts.dateMs)
      ? parseRange(ranges[0], size)
      : { kind: "none" as const };
    timer.arm("stall");
    if (range.kind === "unsatisfiable") {
      ex.status = 416;
      const head = fileResponseHead({
        ...base,
        status: 416,
        contentLength: 0,
        contentRange: unsatisfiedRange(size),
      });
      await send(client, head, ex);
      return keep;
    }
    const body = req.method !== "HEAD";
    if (range.kind === "none" || range.ranges.length === 1) {
      const [start, end] = range.kind === "none"
        ? [0, size - 1]
        : [range.ranges[0].start, range.ranges[0].end];
      const status = range.kind === "none" ? 200 : 206;
      ex.status = status;
      const head = fileResponseHead({
        ...base,
        status,
        contentType: type,
        contentLength: end - start + 1,
        ...(status === 206 ? { contentRange: contentRange(start, end, size) } : {}),
      });
      await streamFile(scope, f, head, start, body ? end + 1 - start : 0);
      return keep;
    }
    const boundary = crypto.randomUUID().replaceAll("-", "");
    const plan = multipartPlan(range.ranges, size, type, boundary);
    ex.status = 206;
    const head = fileResponseHead({
      ...base,
      status: 206,
      contentType: plan.contentType,
      contentLength: plan.length,
    });
    if (!body) {
      await send(client, head, ex);
      return keep;
    }
    let first: Uint8Array | null = head;
    for (const part of plan.parts) {
      const lead: Uint8Array = first ? concat(first, part.head) : part.head;
      first = null;
      await streamFile(scope, f, lead, part.start, part.end + 1 - part.start);
    }
    await send(client, plan.tail, ex);
    return keep;
  } finally {
    f.close();
  }
}

/** Field lines of a list-valued field as one value (RFC 9110 section 5.3); undefined when absent. */
function joined(values: string[]): string | undefined {
  return values.length === 0 ? undefined : values.join(", ");
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Writes `lead` (a head) followed by `count` bytes of `f` from `start`, one
 * window at a time: the first window carries the lead too, so a small file
 * goes out in a single write.
 */
async function streamFile(
  { client, ex }: ExchangeScope,
  f: BodyReader,
  lead: Uint8Array,
  start: number,
  count: number,
): Promise<void> {
  if (count === 0) {
    await send(client, lead, ex);
    return;
  }
  const win = takeWindow(count);
  try {
    if (start > 0) await f.seek(start, Deno.SeekMode.Start);
    let off = 0;
    if (lead.length <= win.length - 4096) {
      win.set(lead);
      off = lead.length;
    } else await send(client, lead, ex);
    let left = count;
    while (left > 0) {
      const n = await f.read(win.subarray(off, off + Math.min(left, win.length - off)));
      if (n === null) {
        throw new ProxyError(500, "upstream-error", "The file got shorter while it was sent");
      }
      left -= n;
      await send(client, win.subarray(0, off + n), ex);
      off = 0;
    }
  } finally {
    giveWindow(win);
  }
}
