/**
 * What one event loop has done, as counters and histograms fed by finished
 * exchanges: requests by method and status class, failures by reason code,
 * bytes, upstream dials and reuse, dial failures by cause, cache results,
 * and latency (total and to the first response byte). Sans-io: the admin
 * listener reads a {@linkcode StatsSnapshot} (plain data, so worker loops can
 * post theirs to the main thread) and {@linkcode mergeSnapshots} sums them.
 *
 * @module
 */

import type { Exchange } from "../exchange.ts";

/** Histogram bucket bounds, in seconds (Prometheus' defaults, plus 1 ms). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** A histogram as plain data: cumulative-free counts per bucket (the last is +Inf), sum, count. */
export interface HistogramData {
  /** Observations in each bucket of {@linkcode LATENCY_BUCKETS}, then in +Inf (not cumulative). */
  counts: number[];
  /** Sum of the observations (seconds). */
  sum: number;
  /** Number of observations. */
  count: number;
}

/** Everything counted, as plain data. */
export interface StatsSnapshot {
  /** Requests by `method class|status class` (e.g. `GET|2xx`). */
  requests: Record<string, number>;
  /** Exchanges that ended with a reason code (refusals, errors), by code. */
  failures: Record<string, number>;
  /** Upstream connection failures by cause (reason code). */
  dialFailures: Record<string, number>;
  /** Cache results by kind (`hit`, `miss`, `stale`, ...). */
  cache: Record<string, number>;
  /** Bytes read from clients. */
  clientBytesIn: number;
  /** Bytes written to clients. */
  clientBytesOut: number;
  /** Bytes read from origins. */
  upstreamBytesIn: number;
  /** Bytes written to origins. */
  upstreamBytesOut: number;
  /** Exchanges that dialled a new upstream connection. */
  dialled: number;
  /** Exchanges that reused a pooled upstream connection. */
  reused: number;
  /** Client connections accepted. */
  accepted: number;
  /** Total exchange time. */
  latency: HistogramData;
  /** Time to the first response byte from the origin. */
  firstByte: HistogramData;
}

/** Methods counted by name; any other is `other` (the last index). */
const METHOD_NAMES = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "other",
];
const METHOD_INDEX = new Map(METHOD_NAMES.slice(0, -1).map((m, i) => [m, i]));
const METHODS = new Set(METHOD_NAMES.slice(0, -1));
/** Status classes by index: none, 1xx ... 5xx. */
const STATUS_CLASSES = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];
/** Reason codes that mean the origin could not be reached. */
const DIAL_FAILURES = new Set([
  "dns-failure",
  "upstream-refused",
  "upstream-unreachable",
  "upstream-connect-timeout",
]);

function emptyHistogram(): HistogramData {
  return { counts: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
}

function observe(h: HistogramData, seconds: number): void {
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
  h.counts[i]++;
  h.sum += seconds;
  h.count++;
}

function bump(m: Record<string, number>, key: string, n = 1): void {
  m[key] = (m[key] ?? 0) + n;
}

/** The status class of a status code: `2xx`..., or `none` when nothing was sent. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "none";
}

/** The method class: the method itself for the common ones, else `other`. */
export function methodClass(method: string): string {
  return METHODS.has(method) ? method : "other";
}

/** The kind of cache answer from a `Cache-Status` value: `hit`, `stale`, `miss`, or "" when none. */
export function cacheKind(cacheStatus: string): string {
  if (cacheStatus === "") return "";
  if (cacheStatus.includes("; hit")) return cacheStatus.includes("detail=stale") ? "stale" : "hit";
  if (cacheStatus.includes("fwd=stale")) return "revalidated";
  if (cacheStatus.includes("fwd=method")) return "bypass";
  return "miss";
}

/**
 * The counters of one event loop.
 *
 * @example
 * ```ts
 * import { Stats } from "./stats.ts";
 * import { Exchange } from "../exchange.ts";
 * const stats = new Stats();
 * const ex = new Exchange(1);
 * ex.method = "GET";
 * ex.status = 200;
 * stats.record(ex);
 * stats.snapshot().requests["GET|2xx"]; // 1
 * ```
 */
export class Stats {
  /** Requests by method index x 6 + status class index (no string built per exchange). */
  readonly #requests = new Float64Array(METHOD_NAMES.length * STATUS_CLASSES.length);
  readonly #s: StatsSnapshot = {
    requests: {},
    failures: {},
    dialFailures: {},
    cache: {},
    clientBytesIn: 0,
    clientBytesOut: 0,
    upstreamBytesIn: 0,
    upstreamBytesOut: 0,
    dialled: 0,
    reused: 0,
    accepted: 0,
    latency: emptyHistogram(),
    firstByte: emptyHistogram(),
  };

  /** Counts an accepted client connection. */
  accepted(): void {
    this.#s.accepted++;
  }

  /** Counts a finished exchange. */
  record(ex: Exchange): void {
    const s = this.#s;
    const m = METHOD_INDEX.get(ex.method) ?? METHOD_NAMES.length - 1;
    const st = ex.status >= 100 && ex.status < 600 ? Math.floor(ex.status / 100) : 0;
    this.#requests[m * STATUS_CLASSES.length + st]++;
    if (ex.reason !== null) {
      bump(s.failures, ex.reason);
      if (DIAL_FAILURES.has(ex.reason)) bump(s.dialFailures, ex.reason);
    }
    const kind = cacheKind(ex.cache);
    if (kind !== "") bump(s.cache, kind);
    s.clientBytesIn += ex.clientRead;
    s.clientBytesOut += ex.clientWritten;
    s.upstreamBytesIn += ex.serverRead;
    s.upstreamBytesOut += ex.serverWritten;
    if (ex.hasUpstream) {
      if (ex.reused) s.reused++;
      else s.dialled++;
    }
    observe(s.latency, ex.elapsed() / 1000);
    if (ex.times.firstByte >= 0 && ex.times.sent >= 0) {
      observe(s.firstByte, (ex.times.firstByte - ex.times.sent) / 1000);
    }
  }

  /** A copy of the counters as plain data. */
  snapshot(): StatsSnapshot {
    const out = structuredClone(this.#s);
    this.#requests.forEach((n, i) => {
      if (n === 0) return;
      const m = METHOD_NAMES[Math.floor(i / STATUS_CLASSES.length)];
      out.requests[`${m}|${STATUS_CLASSES[i % STATUS_CLASSES.length]}`] = n;
    });
    return out;
  }
}

/** Sums snapshots (the workers' and the main loop's). */
export function mergeSnapshots(list: readonly StatsSnapshot[]): StatsSnapshot {
  const out = new Stats().snapshot();
  for (const s of list) {
    for (const k of ["requests", "failures", "dialFailures", "cache"] as const) {
      for (const [key, n] of Object.entries(s[k])) bump(out[k], key, n);
    }
    for (
      const k of [
        "clientBytesIn",
        "clientBytesOut",
        "upstreamBytesIn",
        "upstreamBytesOut",
        "dialled",
        "reused",
        "accepted",
      ] as const
    ) out[k] += s[k];
    for (const k of ["latency", "firstByte"] as const) {
      s[k].counts.forEach((n, i) => out[k].counts[i] += n);
      out[k].sum += s[k].sum;
      out[k].count += s[k].count;
    }
  }
  return out;
}
