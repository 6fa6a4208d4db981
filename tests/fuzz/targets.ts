/**
 * The fuzz targets and their invariants: the head parsers (one piece against
 * growing prefixes), framing on the heads they accept, and the chunked decoder
 * (one buffer against padded pieces). Violations go to a {@linkcode Reporter};
 * nothing here throws.
 *
 * @module
 */

import { ParseError } from "../../lib/errors.ts";
import { ChunkedDecoder, type ChunkedLimits } from "../../lib/http1/chunked.ts";
import { type BodyFraming, requestFraming, responseFraming } from "../../lib/http1/framing.ts";
import {
  type HeadLimits,
  type Parsed,
  type RequestHead,
  RequestParser,
  type ResponseHead,
  ResponseParser,
} from "../../lib/http1/parse.ts";
import { INTERESTING, type Rng } from "./mutate.ts";

/** Receives invariant violations. */
export interface Reporter {
  /** Records one violation: target, short check name, details, optional error. */
  report(target: string, check: string, detail: string, error?: unknown): void;
}

/** What a parse ended with. */
type HeadOutcome =
  | { t: "null" }
  | { t: "ok"; consumed: number; key: string; head: RequestHead | ResponseHead }
  | { t: "err"; status: number; reason: string };

/** What decoding a chunked body ended with. */
type ChunkOutcome =
  | { t: "done" | "more"; end: number; len: number; hash: number }
  | { t: "err"; status: number; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EDGE_WS = /^[ \t]|[ \t]$/;
const REQUEST_ERRORS = new Set([
  "400 bad-request-line",
  "400 bad-header",
  "414 uri-too-long",
  "431 head-too-large",
  "431 too-many-headers",
  "505 unsupported-version",
]);

/** Whether `s` holds a control character other than HTAB. */
function hasCtl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

/** Calls `f`; a ParseError becomes an outcome, anything else a finding (`undefined`). */
function guard<T>(
  rep: Reporter,
  target: string,
  f: () => T,
): T | { t: "err"; status: number; reason: string } | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof ParseError) return { t: "err", status: e.status, reason: e.reason };
    rep.report(target, "threw-non-ParseError", String(e), e);
    return undefined;
  }
}

function show(o: HeadOutcome | ChunkOutcome): string {
  if (o.t === "err") return `error ${o.status} ${o.reason}`;
  if (o.t === "null") return "null";
  if (o.t === "ok") return `ok consumed=${o.consumed} ${JSON.stringify(o.key)}`;
  return `${o.t} end=${o.end} data=${o.len}/${o.hash.toString(16)}`;
}

/** The outcome without its details, to group findings. */
function kindOf(o: HeadOutcome | ChunkOutcome): string {
  return o.t === "err" ? `${o.status} ${o.reason}` : o.t;
}

function same(a: HeadOutcome | ChunkOutcome, b: HeadOutcome | ChunkOutcome): boolean {
  return show(a) === show(b);
}

/** A reporter that appends `context` to every detail. */
function withContext(rep: Reporter, context: string): Reporter {
  return { report: (t, c, d, e) => rep.report(t, c, `${d} [${context}]`, e) };
}

/** Cut points for feeding `n` bytes: ascending, positive, ending with `n`. */
export function cuts(rng: Rng, n: number): number[] {
  if (n === 0 || rng.chance(0.15)) return [n];
  if (n <= 600 && rng.chance(0.1)) return Array.from({ length: n }, (_, i) => i + 1);
  const pts = new Set<number>([n]);
  for (let k = 1 + rng.int(8); k > 0; k--) pts.add(1 + rng.int(n));
  return [...pts].sort((a, b) => a - b);
}

function headKey(head: RequestHead | ResponseHead): string {
  const h = head.headers;
  const fields = h.names.map((name, i) => `${name}:${h.values[i]}`).join("\n");
  if ("method" in head) return `${head.method} ${head.target} 1.${head.minor}\n${fields}`;
  return `1.${head.minor} ${head.status} ${head.reason}\n${fields}`;
}

function parseOutcome(
  rep: Reporter,
  target: string,
  f: () => Parsed<RequestHead | ResponseHead> | null,
): HeadOutcome | undefined {
  const r = guard(rep, target, f);
  if (r === undefined || r === null) return r === null ? { t: "null" } : undefined;
  if ("t" in r) return r;
  return { t: "ok", consumed: r.consumed, key: headKey(r.head), head: r.head };
}

/** Length of the start line (leading blank lines skipped for requests), CR excluded. */
function startLineLength(b: Uint8Array, skipBlank: boolean): number {
  let s = 0;
  for (;;) {
    const lf = b.indexOf(10, s);
    if (lf < 0) return b.length - s;
    const end = lf > s && b[lf - 1] === 13 ? lf - 1 : lf;
    if (end === s && skipBlank) {
      s = lf + 1;
      continue;
    }
    return end - s;
  }
}

/** Invariants of one outcome for an input of `n` bytes. */
function checkOutcome(
  rep: Reporter,
  target: string,
  input: Uint8Array,
  n: number,
  lim: Readonly<HeadLimits>,
  o: HeadOutcome,
): void {
  const bad = (check: string, detail: string) => rep.report(target, check, detail);
  if (o.t === "null") {
    if (n >= lim.maxHead) bad("null-past-maxHead", `null for ${n} bytes, maxHead ${lim.maxHead}`);
    return;
  }
  if (o.t === "err") {
    const ok = target === "request"
      ? REQUEST_ERRORS.has(`${o.status} ${o.reason}`)
      : o.status === 502 && o.reason === "upstream-bad-response";
    if (!ok) bad("unexpected-error-status", show(o));
    return;
  }
  const { consumed, head } = o;
  if (!(consumed > 0 && consumed <= n)) bad("consumed-out-of-range", `${consumed} of ${n}`);
  if (input[consumed - 1] !== 10) bad("consumed-not-at-LF", `consumed ${consumed}`);
  if (consumed > lim.maxHead) bad("head-over-maxHead", `${consumed} > ${lim.maxHead}`);
  if (head.headers.size > lim.maxHeaders) {
    bad("headers-over-maxHeaders", `${head.headers.size} > ${lim.maxHeaders}`);
  }
  const line = startLineLength(input.subarray(0, consumed), target === "request");
  if (line > lim.maxLine) bad("line-over-maxLine", `${line} > ${lim.maxLine}`);
  if (head.minor !== 0 && head.minor !== 1) bad("bad-minor", String(head.minor));
  if ("method" in head) {
    if (!TOKEN.test(head.method)) bad("bad-method", JSON.stringify(head.method));
    if (!/^[\x21-\x7e\x80-\xff]+$/.test(head.target)) {
      bad("bad-target", JSON.stringify(head.target));
    }
  } else {
    if (!(head.status >= 100 && head.status <= 999)) bad("bad-status", String(head.status));
    if (hasCtl(head.reason)) bad("ctl-in-reason", JSON.stringify(head.reason));
  }
  const h = head.headers;
  for (let i = 0; i < h.size; i++) {
    if (!TOKEN.test(h.names[i])) bad("bad-field-name", JSON.stringify(h.names[i]));
    if (h.keys[i] !== h.names[i].toLowerCase()) bad("bad-field-key", JSON.stringify(h.keys[i]));
    const v = h.values[i];
    if (hasCtl(v) || EDGE_WS.test(v)) bad("bad-field-value", JSON.stringify(v));
  }
}

function randomHeadLimits(rng: Rng): Partial<HeadLimits> {
  return { maxLine: rng.int(96), maxHead: rng.int(320), maxHeaders: rng.int(12) };
}

/** Parsers with default limits, reused across inputs (reset() between). */
const shared = { request: new RequestParser(), response: new ResponseParser() };

/**
 * Parses `input` as a head in one piece and as growing prefixes, checks both
 * outcomes and that they agree, then frames an accepted head and decodes its
 * chunked body, and parses what follows the head with the same parser.
 */
export function checkHead(
  outer: Reporter,
  rng: Rng,
  target: "request" | "response",
  input: Uint8Array,
): void {
  const limits = rng.chance(0.3) ? randomHeadLimits(rng) : undefined;
  const points = cuts(rng, input.length);
  const rep = withContext(outer, `limits ${JSON.stringify(limits ?? "default")}, cuts ${points}`);
  const make = () => target === "request" ? new RequestParser(limits) : new ResponseParser(limits);
  const fresh = make();
  const lim = fresh.limits;
  const one = parseOutcome(rep, target, () => fresh.parse(input));
  if (!one) return;
  checkOutcome(rep, target, input, input.length, lim, one);

  const p = limits ? make() : shared[target];
  p.reset();
  const copy = rng.chance(0.3);
  let inc: HeadOutcome = { t: "null" };
  let prev = 0;
  for (const at of points) {
    const bytes = copy ? input.slice(0, at) : input.subarray(0, at);
    const o = parseOutcome(rep, target, () => p.parse(bytes));
    if (!o) return;
    checkOutcome(rep, target, input, at, lim, o);
    if (o.t === "ok" && o.consumed <= prev) {
      rep.report(target, "late-completion", `complete at ${o.consumed} only reported at ${at}`);
    }
    prev = at;
    inc = o;
    if (o.t !== "null") break;
  }
  if (!same(one, inc)) {
    const over = input.length > lim.maxHead ? ", input > maxHead" : "";
    rep.report(
      target,
      `incremental-differs (${kindOf(one)} vs ${kindOf(inc)}${over})`,
      `one piece: ${show(one)}; pieces: ${show(inc)}`,
    );
  }
  if (one.t !== "ok" || inc.t !== "ok") return;

  const rest = input.subarray(one.consumed);
  if (rest.length > 0 && rng.chance(0.5)) {
    // the parser resets itself after a complete head: it must behave as a fresh one
    const again = parseOutcome(rep, target, () => p.parse(rest));
    const base = parseOutcome(rep, target, () => make().parse(rest));
    if (again && base && !same(again, base)) {
      rep.report(target, "reuse-differs", `reused: ${show(again)}; fresh: ${show(base)}`);
    }
  }
  checkFraming(rep, rng, one.head, rest);
}

/** Frames an accepted head, checks the smuggling rules, decodes a chunked body. */
function checkFraming(
  rep: Reporter,
  rng: Rng,
  head: RequestHead | ResponseHead,
  body: Uint8Array,
): void {
  const h = head.headers;
  const both = h.has("content-length") && h.has("transfer-encoding");
  let f: BodyFraming | { t: "err"; status: number; reason: string } | undefined;
  let target: string;
  let mustRefuse = both;
  if ("method" in head) {
    target = "requestFraming";
    f = guard(rep, target, () => requestFraming(head));
    if (f && "t" in f && !(f.status === 400 || f.status === 501)) {
      rep.report(target, "unexpected-error-status", `${f.status} ${f.reason}`);
    }
    if (f && "kind" in f && h.has("transfer-encoding") && f.kind !== "chunked") {
      rep.report(target, "te-not-chunked", `Transfer-Encoding framed as ${f.kind}`);
    }
  } else {
    const method = rng.pick(["GET", "HEAD", "CONNECT", "POST"]);
    target = `responseFraming(${method})`;
    f = guard(rep, target, () => responseFraming(method, head));
    const s = head.status;
    mustRefuse &&= method !== "HEAD" && s >= 200 && s !== 204 && s !== 304 &&
      !(method === "CONNECT" && s < 300);
    if (f && "t" in f && !(f.status === 502 && f.reason === "upstream-bad-response")) {
      rep.report(target, "unexpected-error-status", `${f.status} ${f.reason}`);
    }
  }
  if (!f || "t" in f) return;
  if (mustRefuse) rep.report(target, "cl-te-accepted", `framed as ${f.kind}`);
  if (f.kind === "length" && !(Number.isSafeInteger(f.length) && f.length > 0)) {
    rep.report(target, "bad-length", String(f.length));
  }
  if (f.kind === "chunked") checkChunked(rep, rng, body, !("method" in head));
}

/** FNV-1a over `b[start..end)`, continuing from `h`. */
function fnv(h: number, b: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 16777619);
  return h >>> 0;
}

/** Decoders with default limits, reused across inputs (reset() between). */
const sharedDecoders = [new ChunkedDecoder(), new ChunkedDecoder({}, true)];

/**
 * Feeds `pieces` (each `[buffer, start, end, offset of start in the body]`)
 * to `d`, checking every call; returns the outcome or `undefined` after a finding.
 */
function decodePieces(
  rep: Reporter,
  target: string,
  d: ChunkedDecoder,
  pieces: [Uint8Array, number, number, number][],
): ChunkOutcome | undefined {
  let len = 0;
  let hash = 0x811c9dc5;
  let endAt = 0;
  const bad = (check: string, detail: string) => rep.report(target, check, detail);
  for (const [buf, start, end, base] of pieces) {
    let pos = start;
    for (let steps = 0; pos < end && !d.done; steps++) {
      if (steps > end - start + 2) return bad("hang", `no end after ${steps} calls`), undefined;
      const from = pos;
      const r = guard(rep, target, () => d.decode(buf, from, end));
      if (r === undefined) return undefined;
      if (typeof r !== "number") return r;
      if (!(Number.isInteger(r) && r > from && r <= end)) {
        return bad("bad-offset", `decode(${from}, ${end}) returned ${r}`), undefined;
      }
      const { dataStart: ds, dataEnd: de } = d;
      if (!(from <= ds && ds <= de && de <= r)) {
        return bad("data-out-of-range", `[${ds}, ${de}) for decode(${from}, ${end}) = ${r}`),
          undefined;
      }
      hash = fnv(hash, buf, ds, de);
      len += de - ds;
      if (d.bodyBytes !== len) return bad("bodyBytes", `${d.bodyBytes} != ${len}`), undefined;
      pos = r;
    }
    endAt = base + (pos - start);
    if (d.done) {
      const r = guard(rep, target, () => d.decode(buf, pos, end));
      if (r !== pos || d.dataStart !== d.dataEnd) bad("moved-after-done", `returned ${r}`);
      break;
    }
  }
  return { t: d.done ? "done" : "more", end: endAt, len, hash };
}

/**
 * Decodes `input` as a chunked body in one buffer and again in pieces, each
 * copied into its own buffer between junk bytes, and checks that they agree.
 */
export function checkChunked(
  outer: Reporter,
  rng: Rng,
  input: Uint8Array,
  fromOrigin: boolean,
): void {
  const target = fromOrigin ? "chunked(origin)" : "chunked";
  let limits: Partial<ChunkedLimits> | undefined;
  if (rng.chance(0.3)) limits = { maxExtension: rng.int(24), maxTrailer: rng.int(48) };
  const points = cuts(rng, input.length);
  const rep = withContext(
    outer,
    `${input.length} body bytes, limits ${JSON.stringify(limits ?? "default")}, cuts ${points}`,
  );
  const one = decodePieces(rep, target, new ChunkedDecoder(limits, fromOrigin), [
    [input, 0, input.length, 0],
  ]);
  if (!one) return;
  if (one.t === "err") {
    const [status, reason] = fromOrigin ? [502, "upstream-bad-response"] : [400, "bad-chunk"];
    if (one.status !== status || one.reason !== reason) {
      rep.report(target, "unexpected-error-status", show(one));
    }
  }
  const d = limits ? new ChunkedDecoder(limits, fromOrigin) : sharedDecoders[fromOrigin ? 1 : 0];
  d.reset();
  const pieces: [Uint8Array, number, number, number][] = [];
  let prev = 0;
  for (const at of points) {
    const pre = rng.int(6);
    const buf = new Uint8Array(pre + at - prev + rng.int(6));
    for (let i = 0; i < buf.length; i++) buf[i] = rng.pick(INTERESTING);
    buf.set(input.subarray(prev, at), pre);
    if (rng.chance(0.05)) pieces.push([buf, pre, pre, prev]); // an empty read
    pieces.push([buf, pre, pre + at - prev, prev]);
    prev = at;
  }
  const inc = decodePieces(rep, target, d, pieces);
  if (inc && !same(one, inc)) {
    rep.report(
      target,
      `incremental-differs (${kindOf(one)} vs ${kindOf(inc)})`,
      `one piece: ${show(one)}; pieces: ${show(inc)}`,
    );
  }
}
