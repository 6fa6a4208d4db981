/**
 * `/metrics`: the counters of {@linkcode StatsSnapshot} and the gauges read
 * at scrape time, as Prometheus metric families named `sluice_*`. Sans-io.
 *
 * @module
 */

import { type Family, formatExposition } from "./exposition.ts";
import { type HistogramData, LATENCY_BUCKETS, type StatsSnapshot } from "./stats.ts";

/** The exchange states a connection can be counted in. */
export const STATES = [
  "READ_REQUEST",
  "SEND_REQUEST",
  "READ_RESPONSE",
  "SEND_RESPONSE",
  "TUNNEL",
] as const;

/** What is measured at scrape time. */
export interface Gauges {
  /** Open client connections by the state of their exchange. */
  connectionsByState: Record<string, number>;
  /** Of those in READ_REQUEST, how many are idle keep-alive connections. */
  idleConnections: number;
  /** Idle upstream connections in the pool. */
  poolIdle: number;
  /** Cache bytes and entries, or null when the cache is off. */
  cache: { bytes: number; entries: number; maxBytes: number } | null;
  /** Resident set size of the process (bytes). */
  rss: number;
  /** V8 heap in use (bytes). */
  heapUsed: number;
  /** V8 heap reserved (bytes): what the heap holds from the system, used or not. */
  heapTotal: number;
  /** Memory outside the V8 heap that JS objects own (bytes): ArrayBuffer stores, mostly. */
  external: number;
  /** Open file descriptors, when /proc can be read (else null). */
  openFds: number | null;
  /** Sockets sluice holds: listeners, client connections, upstream ones in use and pooled. */
  openSockets: number;
  /** Event-loop lag: the largest delay of a 100 ms timer since the last scrape (seconds). */
  eventLoopLag: number;
  /** Seconds since start. */
  uptime: number;
  /** Whether a drain has begun. */
  draining: boolean;
  /** Event loops (1 + workers). */
  loops: number;
}

function labelled(
  m: Record<string, number>,
  keys: string[],
): { labels: Record<string, string>; value: number }[] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, value]) => {
    const parts = k.split("|");
    const labels: Record<string, string> = {};
    keys.forEach((name, i) => labels[name] = parts[i] ?? "");
    return { labels, value };
  });
}

function histogram(name: string, help: string, h: HistogramData): Family {
  const samples = [];
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    cumulative += h.counts[i];
    samples.push({
      suffix: "_bucket",
      labels: { le: String(LATENCY_BUCKETS[i]) },
      value: cumulative,
    });
  }
  samples.push({ suffix: "_bucket", labels: { le: "+Inf" }, value: h.count });
  samples.push({ suffix: "_sum", value: Math.round(h.sum * 1e6) / 1e6 });
  samples.push({ suffix: "_count", value: h.count });
  return { name, help, type: "histogram", samples };
}

/**
 * The families of `/metrics`.
 *
 * @example
 * ```ts ignore
 * const text = formatExposition(metricFamilies(stats.snapshot(), gauges));
 * ```
 */
export function metricFamilies(s: StatsSnapshot, g: Gauges): Family[] {
  const counter = (name: string, help: string, value: number): Family => ({
    name,
    help,
    type: "counter",
    samples: [{ value }],
  });
  const gauge = (name: string, help: string, value: number): Family => ({
    name,
    help,
    type: "gauge",
    samples: [{ value }],
  });
  const families: Family[] = [
    {
      name: "sluice_requests_total",
      help: "Exchanges finished, by method and status class (none: no response was sent).",
      type: "counter",
      samples: labelled(s.requests, ["method", "status_class"]),
    },
    {
      name: "sluice_failures_total",
      help: "Exchanges that ended with a reason code (refusals and errors), by code.",
      type: "counter",
      samples: labelled(s.failures, ["reason"]),
    },
    counter("sluice_client_received_bytes_total", "Bytes read from clients.", s.clientBytesIn),
    counter("sluice_client_sent_bytes_total", "Bytes written to clients.", s.clientBytesOut),
    counter(
      "sluice_upstream_received_bytes_total",
      "Bytes read from origins.",
      s.upstreamBytesIn,
    ),
    counter("sluice_upstream_sent_bytes_total", "Bytes written to origins.", s.upstreamBytesOut),
    counter("sluice_connections_accepted_total", "Client connections accepted.", s.accepted),
    {
      name: "sluice_connections",
      help: "Open client connections by the state of their exchange.",
      type: "gauge",
      samples: STATES.map((state) => ({
        labels: { state },
        value: g.connectionsByState[state] ?? 0,
      })),
    },
    gauge(
      "sluice_connections_idle",
      "Kept-alive client connections waiting for their next request (counted in READ_REQUEST too).",
      g.idleConnections,
    ),
    gauge("sluice_upstream_pool_idle", "Idle upstream connections kept for reuse.", g.poolIdle),
    counter(
      "sluice_upstream_reused_total",
      "Exchanges that reused a pooled upstream connection.",
      s.reused,
    ),
    counter(
      "sluice_upstream_dialled_total",
      "Exchanges that opened a new upstream connection.",
      s.dialled,
    ),
    {
      name: "sluice_upstream_dial_failures_total",
      help: "Upstream connections that could not be made, by cause.",
      type: "counter",
      samples: labelled(s.dialFailures, ["cause"]),
    },
    {
      name: "sluice_cache_responses_total",
      help: "Responses that involved the cache, by result (hit, stale, revalidated, miss, bypass).",
      type: "counter",
      samples: labelled(s.cache, ["result"]),
    },
    histogram(
      "sluice_request_duration_seconds",
      "Time from the start of an exchange to its end.",
      s.latency,
    ),
    histogram(
      "sluice_upstream_first_byte_seconds",
      "Time from the request head sent upstream to the first response byte.",
      s.firstByte,
    ),
    gauge("sluice_resident_memory_bytes", "Resident set size of the process.", g.rss),
    gauge("sluice_heap_used_bytes", "V8 heap in use (main event loop).", g.heapUsed),
    gauge("sluice_heap_total_bytes", "V8 heap reserved (main event loop).", g.heapTotal),
    gauge(
      "sluice_external_memory_bytes",
      "Memory owned by JS objects outside the V8 heap, such as buffers (main event loop).",
      g.external,
    ),
    gauge(
      "sluice_event_loop_lag_seconds",
      "Largest lateness of a 100 ms timer on the main event loop since the last scrape.",
      g.eventLoopLag,
    ),
    gauge("sluice_uptime_seconds", "Seconds since sluice started.", g.uptime),
    gauge(
      "sluice_draining",
      "1 once a drain has begun (SIGTERM/SIGINT), else 0.",
      g.draining ? 1 : 0,
    ),
    gauge("sluice_event_loops", "Event loops serving (1 + --workers - 1).", g.loops),
  ];
  families.push(
    gauge(
      "sluice_open_sockets",
      "Sockets sluice holds: listeners, client connections, upstream connections in use and idle.",
      g.openSockets,
    ),
  );
  if (g.openFds !== null) {
    families.push(gauge("sluice_open_fds", "Open file descriptors of the process.", g.openFds));
  }
  if (g.cache) {
    families.push(
      gauge("sluice_cache_bytes", "Bytes held by the cache, overheads counted.", g.cache.bytes),
      gauge("sluice_cache_max_bytes", "The cache's bound (--cache-size).", g.cache.maxBytes),
      gauge("sluice_cache_entries", "Stored responses (variants counted).", g.cache.entries),
    );
  }
  return families;
}

/** `/metrics` text. */
export function metricsText(s: StatsSnapshot, g: Gauges): string {
  return formatExposition(metricFamilies(s, g));
}
