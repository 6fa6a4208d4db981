/**
 * Access log lines, sans I/O: one finished {@linkcode Exchange} in one of the
 * three `--access-log-format`s.
 *
 * - `text`: sluice's own line (what follows `sluice.access` on stderr).
 * - `json`: one object per line; the field names of {@linkcode AccessJson}
 *   are stable (later features add fields, never rename them).
 * - `combined`: the Apache/nginx combined format, so GoAccess, awstats and
 *   the like read it; quoted fields are escaped as nginx does (`\x22`).
 *
 * `endMs` is the wall-clock time (epoch ms, `Date.now()`) the exchange ended;
 * `totalMs` its duration (by default `ex.elapsed()`).
 *
 * @module
 */

import type { AccessLogFormat } from "./config_options.ts";
import type { Exchange } from "./exchange.ts";

/** Per-phase durations of an exchange in ms since it began; `null` for a phase not reached. */
export interface AccessJsonMs {
  /** The request head was read. */
  head: number | null;
  /** The upstream connection was open (dialled or taken from the pool). */
  connect: number | null;
  /** The request head was written upstream. */
  sent: number | null;
  /** The first response byte arrived. */
  first_byte: number | null;
  /** The exchange ended. */
  total: number;
}

/** One `json` access log line, as parsed back. Field names never change. */
export interface AccessJson {
  /** When the exchange ended (ISO 8601, UTC). */
  time: string;
  /** The client's IP address (or the pseudo-client, such as `background`). */
  client: string;
  /** The client's port, `null` for a pseudo-client. */
  client_port: number | null;
  /** The authenticated proxy user, `null` when none. */
  user: string | null;
  /** The request method (`-` when no request head was parsed). */
  method: string;
  /** The request target as received (`-` when no request head was parsed). */
  target: string;
  /** `HTTP/1.0` or `HTTP/1.1`; `null` when no request head was parsed. */
  http_version: string | null;
  /** The status sent to the client; 0 when none was. */
  status: number;
  /** Bytes read from the client (head and body). */
  bytes_from_client: number;
  /** Bytes written to the client. */
  bytes_to_client: number;
  /** Bytes written to the upstream. */
  bytes_to_upstream: number;
  /** Bytes queued for the upstream. */
  bytes_to_upstream_queued: number;
  /** Bytes read from the upstream. */
  bytes_from_upstream: number;
  /** The upstream address dialled (`host:port`), `null` when none. */
  upstream: string | null;
  /** Whether the upstream connection came from the pool. */
  upstream_reused: boolean;
  /** Why the exchange ended, `null` when it ended normally. */
  reason: string | null;
  /** The `Cache-Status` value, `null` when the cache was not involved. */
  cache: string | null;
  /** Per-phase durations (ms, rounded to 0.001). */
  ms: AccessJsonMs;
}

/**
 * The field names of a `json` line, in the order written.
 *
 * @example
 * ```ts
 * import { ACCESS_JSON_FIELDS } from "./access_log.ts";
 * console.log(ACCESS_JSON_FIELDS[0]); // "time"
 * ```
 */
export const ACCESS_JSON_FIELDS: readonly (keyof AccessJson)[] = [
  "time",
  "client",
  "client_port",
  "user",
  "method",
  "target",
  "http_version",
  "status",
  "bytes_from_client",
  "bytes_to_client",
  "bytes_to_upstream",
  "bytes_to_upstream_queued",
  "bytes_from_upstream",
  "upstream",
  "upstream_reused",
  "reason",
  "cache",
  "ms",
];

/**
 * Splits a peer (`1.2.3.4:5`, `[::1]:5`) into address and port; anything
 * else (`background`) is an address without a port.
 *
 * @example
 * ```ts
 * import { splitPeer } from "./access_log.ts";
 * console.log(splitPeer("[::1]:8080")); // { ip: "::1", port: 8080 }
 * ```
 */
export function splitPeer(peer: string): { ip: string; port: number | null } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(peer);
  if (m === null) return { ip: peer, port: null };
  return { ip: m[1] ?? m[2], port: Number(m[3]) };
}

/** A phase time (ms, -1 when not reached) rounded to 0.001, or `null`. */
function phase(ms: number): number | null {
  return ms < 0 ? null : round3(ms);
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The `text` line: exactly the message sluice has always logged after
 * `sluice.access` (client, method, target, status, the five byte counters,
 * whole milliseconds, cache, reason, user).
 *
 * @example
 * ```ts
 * import { Exchange } from "./exchange.ts";
 * import { formatText } from "./access_log.ts";
 * const ex = new Exchange(1);
 * ex.method = "GET";
 * ex.target = "http://example.com/";
 * ex.status = 200;
 * console.log(formatText("127.0.0.1:5000", ex, 12.4));
 * // 127.0.0.1:5000 GET http://example.com/ 200 in=0 out=0 up=0/0 down=0 12ms -
 * ```
 */
export function formatText(peer: string, ex: Exchange, totalMs: number = ex.elapsed()): string {
  // "sluice; hit; ttl=5" -> " cache=hit;ttl=5"
  const cache = ex.cache === ""
    ? ""
    : ` cache=${ex.cache.slice(ex.cache.indexOf(";") + 1).replaceAll(" ", "")}`;
  const user = ex.user === null ? "" : ` user=${ex.user}`;
  return `${peer} ${ex.method} ${ex.target} ${ex.status} in=${ex.clientRead} out=${ex.clientWritten} up=${ex.serverWritten}/${ex.serverToWrite} down=${ex.serverRead} ${
    Math.round(totalMs)
  }ms${cache} ${ex.reason ?? "-"}${user}`;
}

/**
 * The `json` record of an exchange (what {@linkcode formatJson} writes).
 *
 * @example
 * ```ts
 * import { Exchange } from "./exchange.ts";
 * import { accessJson } from "./access_log.ts";
 * const rec = accessJson("127.0.0.1:5000", new Exchange(1), Date.UTC(2026, 10, 30), 1.5);
 * console.log(rec.time, rec.ms.total); // 2026-11-30T00:00:00.000Z 1.5
 * ```
 */
export function accessJson(
  peer: string,
  ex: Exchange,
  endMs: number,
  totalMs: number = ex.elapsed(),
): AccessJson {
  const { ip, port } = splitPeer(peer);
  const parsed = ex.method !== "-";
  return {
    time: new Date(endMs).toISOString(),
    client: ip,
    client_port: port,
    user: ex.user,
    method: ex.method,
    target: ex.target,
    http_version: parsed ? `HTTP/1.${ex.minor}` : null,
    status: ex.status,
    bytes_from_client: ex.clientRead,
    bytes_to_client: ex.clientWritten,
    bytes_to_upstream: ex.serverWritten,
    bytes_to_upstream_queued: ex.serverToWrite,
    bytes_from_upstream: ex.serverRead,
    upstream: ex.upstreamAddr === "" ? null : ex.upstreamAddr,
    upstream_reused: ex.reused,
    reason: ex.reason,
    cache: ex.cache === "" ? null : ex.cache,
    ms: {
      head: phase(ex.times.head),
      connect: phase(ex.times.connect),
      sent: phase(ex.times.sent),
      first_byte: phase(ex.times.firstByte),
      total: round3(Math.max(0, totalMs)),
    },
  };
}

/**
 * The `json` line: one object, no newline (JSON escapes every control
 * character, so the object never spans lines).
 *
 * @example
 * ```ts
 * import { Exchange } from "./exchange.ts";
 * import { formatJson } from "./access_log.ts";
 * const line = formatJson("[::1]:5000", new Exchange(1), Date.now(), 3);
 * console.log(JSON.parse(line).client); // "::1"
 * ```
 */
export function formatJson(
  peer: string,
  ex: Exchange,
  endMs: number,
  totalMs: number = ex.elapsed(),
): string {
  return JSON.stringify(accessJson(peer, ex, endMs, totalMs));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * The common log format's time, in UTC: `30/Nov/2026:14:01:02 +0000`.
 *
 * @example
 * ```ts
 * import { clfTime } from "./access_log.ts";
 * console.log(clfTime(Date.UTC(2026, 10, 30, 14, 1, 2))); // "30/Nov/2026:14:01:02 +0000"
 * ```
 */
export function clfTime(endMs: number): string {
  const d = new Date(endMs);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${
    pad2(d.getUTCHours())
  }:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

const encoder = new TextEncoder();

function hex(b: number): string {
  return `\\x${b.toString(16).toUpperCase().padStart(2, "0")}`;
}

/**
 * Escapes a log field as nginx does: `"`, `\`, control bytes and bytes from
 * 0x7F up become `\xHH` (strings here hold one byte per character, as sluice
 * decodes heads as Latin-1; a character above U+00FF is escaped as its
 * UTF-8 bytes). With `space`, spaces and `[`/`]` are escaped too, for a field
 * outside quotes.
 *
 * @example
 * ```ts
 * import { escapeField } from "./access_log.ts";
 * console.log(escapeField('say "hi"\n')); // say \x22hi\x22\x0A
 * ```
 */
export function escapeField(s: string, space = false): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const plain = c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c &&
      !(space && (c === 0x20 || c === 0x5b || c === 0x5d));
    if (plain) continue;
    out += s.slice(from, i);
    if (c <= 0xff) {
      out += hex(c);
    } else {
      const low = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      const wide = c >= 0xd800 && c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
      for (const b of encoder.encode(s.slice(i, i + wide))) out += hex(b);
      i += wide - 1;
    }
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** A value for a combined field: `-` when empty, escaped otherwise. */
function orDash(s: string, space = false): string {
  return s === "" ? "-" : escapeField(s, space);
}

/**
 * The `combined` line (Apache's and nginx's `combined`):
 * `client - user [time] "METHOD target HTTP/1.x" status bytes "referer" "user-agent"`,
 * with `-` for an empty user, referer or user agent and for 0 bytes, the
 * status as three digits (`000` when none was sent) and `"-"` as the request
 * when no request head was parsed. Bytes are all bytes written to the client.
 *
 * @example
 * ```ts
 * import { Exchange } from "./exchange.ts";
 * import { formatCombined } from "./access_log.ts";
 * const ex = new Exchange(1);
 * ex.method = "GET";
 * ex.target = "http://example.com/";
 * ex.status = 200;
 * ex.clientWritten = 512;
 * console.log(formatCombined("127.0.0.1:5000", ex, Date.UTC(2026, 10, 30, 14, 1, 2)));
 * // 127.0.0.1 - - [30/Nov/2026:14:01:02 +0000] "GET http://example.com/ HTTP/1.1" 200 512 "-" "-"
 * ```
 */
export function formatCombined(peer: string, ex: Exchange, endMs: number): string {
  const { ip } = splitPeer(peer);
  const request = ex.method === "-"
    ? "-"
    : `${escapeField(ex.method)} ${escapeField(ex.target)} HTTP/1.${ex.minor}`;
  const status = String(ex.status).padStart(3, "0");
  const bytes = ex.clientWritten === 0 ? "-" : String(ex.clientWritten);
  return `${orDash(ip, true)} - ${orDash(ex.user ?? "", true)} [${
    clfTime(endMs)
  }] "${request}" ${status} ${bytes} "${orDash(ex.referer)}" "${orDash(ex.userAgent)}"`;
}

/**
 * The line of an exchange in `format` (no newline).
 *
 * @example
 * ```ts
 * import { Exchange } from "./exchange.ts";
 * import { formatAccess } from "./access_log.ts";
 * const line = formatAccess("json", "127.0.0.1:5000", new Exchange(1), Date.now(), 0);
 * console.log(JSON.parse(line).status); // 0
 * ```
 */
export function formatAccess(
  format: AccessLogFormat,
  peer: string,
  ex: Exchange,
  endMs: number,
  totalMs: number = ex.elapsed(),
): string {
  switch (format) {
    case "text":
      return formatText(peer, ex, totalMs);
    case "json":
      return formatJson(peer, ex, endMs, totalMs);
    case "combined":
      return formatCombined(peer, ex, endMs);
  }
}
