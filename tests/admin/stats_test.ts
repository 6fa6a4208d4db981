import assert from "node:assert/strict";
import {
  cacheKind,
  mergeSnapshots,
  methodClass,
  Stats,
  statusClass,
} from "../../lib/admin/stats.ts";
import { metricFamilies, metricsText } from "../../lib/admin/metrics.ts";
import { parseExposition } from "../../lib/admin/exposition.ts";
import { Exchange } from "../../lib/exchange.ts";

function ex(o: Partial<Exchange>): Exchange {
  const e = new Exchange(1);
  Object.assign(e, o);
  return e;
}

const GAUGES = {
  connectionsByState: { READ_REQUEST: 2, TUNNEL: 1 },
  idleConnections: 1,
  poolIdle: 3,
  cache: { bytes: 100, entries: 2, maxBytes: 1000 },
  rss: 5e7,
  heapUsed: 1e7,
  heapTotal: 2e7,
  external: 3e6,
  openFds: 12,
  openSockets: 9,
  eventLoopLag: 0.002,
  uptime: 10,
  draining: false,
  loops: 1,
};

Deno.test("Stats: requests by method and status class, failures and dial failures by reason, bytes, reuse", () => {
  const s = new Stats();
  s.record(
    ex({
      method: "GET",
      status: 200,
      clientRead: 100,
      clientWritten: 1000,
      serverRead: 900,
      serverWritten: 90,
      upstreamAddr: "127.0.0.1:80",
    }),
  );
  s.record(ex({ method: "GET", status: 200, upstreamAddr: "127.0.0.1:80", reused: true }));
  s.record(ex({ method: "BREW", status: 502, reason: "upstream-refused" }));
  s.record(ex({ method: "CONNECT", status: 403, reason: "connect-port-denied" }));
  s.accepted();
  const snap = s.snapshot();
  assert.deepEqual(snap.requests, { "GET|2xx": 2, "other|5xx": 1, "CONNECT|4xx": 1 });
  assert.deepEqual(snap.failures, { "upstream-refused": 1, "connect-port-denied": 1 });
  assert.deepEqual(snap.dialFailures, { "upstream-refused": 1 });
  assert.equal(snap.clientBytesIn, 100);
  assert.equal(snap.clientBytesOut, 1000);
  assert.equal(snap.upstreamBytesIn, 900);
  assert.equal(snap.upstreamBytesOut, 90);
  assert.equal(snap.dialled, 1);
  assert.equal(snap.reused, 1);
  assert.equal(snap.accepted, 1);
  assert.equal(snap.latency.count, 4);
});

Deno.test("classes: method, status, cache result", () => {
  assert.equal(methodClass("PATCH"), "PATCH");
  assert.equal(methodClass("PROPFIND"), "other");
  assert.equal(statusClass(0), "none");
  assert.equal(statusClass(304), "3xx");
  assert.equal(cacheKind("sluice; hit; ttl=3"), "hit");
  assert.equal(cacheKind("sluice; hit; detail=stale-while-revalidate"), "stale");
  assert.equal(cacheKind("sluice; fwd=stale; fwd-status=304"), "revalidated");
  assert.equal(cacheKind("sluice; fwd=uri-miss; stored"), "miss");
  assert.equal(cacheKind(""), "");
});

Deno.test("mergeSnapshots: sums every counter and histogram bucket", () => {
  const a = new Stats();
  const b = new Stats();
  a.record(ex({ method: "GET", status: 200, clientRead: 1 }));
  b.record(ex({ method: "GET", status: 200, clientRead: 2 }));
  b.record(ex({ method: "POST", status: 201 }));
  const m = mergeSnapshots([a.snapshot(), b.snapshot()]);
  assert.deepEqual(m.requests, { "GET|2xx": 2, "POST|2xx": 1 });
  assert.equal(m.clientBytesIn, 3);
  assert.equal(m.latency.count, 3);
  assert.equal(m.latency.counts.reduce((x, y) => x + y), 3);
});

Deno.test("metrics: the text parses, histograms are cumulative, gauges by state, names prefixed sluice_", () => {
  const s = new Stats();
  for (let i = 0; i < 3; i++) s.record(ex({ method: "GET", status: 200 }));
  const text = metricsText(s.snapshot(), GAUGES);
  const p = parseExposition(text);
  for (const name of Object.keys(p.types)) assert.match(name, /^sluice_/);
  const v = (name: string, labels: Record<string, string> = {}) =>
    p.samples.find((x) =>
      x.name === name && Object.entries(labels).every(([k, l]) => x.labels[k] === l)
    )?.value;
  assert.equal(v("sluice_requests_total", { method: "GET", status_class: "2xx" }), 3);
  assert.equal(v("sluice_connections", { state: "TUNNEL" }), 1);
  assert.equal(v("sluice_connections", { state: "SEND_RESPONSE" }), 0);
  assert.equal(v("sluice_request_duration_seconds_bucket", { le: "+Inf" }), 3);
  assert.equal(v("sluice_request_duration_seconds_count"), 3);
  const buckets = p.samples.filter((x) => x.name === "sluice_request_duration_seconds_bucket").map((
    x,
  ) => x.value);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1], "cumulative");
  assert.equal(v("sluice_open_fds"), 12);
  assert.equal(v("sluice_open_sockets"), 9);
  assert.equal(v("sluice_cache_entries"), 2);
  assert.ok(
    !metricFamilies(s.snapshot(), { ...GAUGES, openFds: null, cache: null }).some((f) =>
      f.name === "sluice_open_fds" || f.name === "sluice_cache_bytes"
    ),
  );
});
