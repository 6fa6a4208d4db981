import assert from "node:assert/strict";
import { statusHtml, statusJson, statusModel } from "../../lib/admin/status.ts";
import type { ConnectionInfo } from "../../lib/connection.ts";
import { LagMeter } from "../../lib/admin/lag_meter.ts";

function conn(o: Partial<ConnectionInfo>): ConnectionInfo {
  return {
    client: "127.0.0.1:5000",
    state: "READ_REQUEST",
    seq: 1,
    method: "",
    target: "",
    user: "",
    upstream: "",
    ageMs: 1000,
    exchangeMs: 10,
    bytesIn: 0,
    bytesOut: 0,
    idle: false,
    upstreamOpen: false,
    ...o,
  };
}

const O = {
  version: "0.1.0",
  uptime: 5,
  draining: false,
  requests: 7,
  bytesIn: 1,
  bytesOut: 2,
  now: 0,
};

Deno.test("statusModel: totals by state over every loop, longest open first, loop numbers kept", () => {
  const m = statusModel([
    [conn({ state: "TUNNEL", ageMs: 50 }), conn({ idle: true, ageMs: 9000 })],
    [conn({ state: "READ_RESPONSE", method: "GET", target: "http://a/", ageMs: 300 })],
  ], O);
  assert.equal(m.totals.connections, 3);
  assert.deepEqual(m.totals.byState, {
    READ_REQUEST: 1,
    SEND_REQUEST: 0,
    READ_RESPONSE: 1,
    SEND_RESPONSE: 0,
    TUNNEL: 1,
  });
  assert.equal(m.totals.idle, 1);
  assert.deepEqual(m.connections.map((c) => c.ageMs), [9000, 300, 50]);
  assert.deepEqual(m.connections.map((c) => c.loop), [0, 1, 0]);
  assert.equal(JSON.parse(statusJson(m)).totals.requests, 7);
});

Deno.test("statusHtml: refreshes without script, escapes what clients sent, fits a phone", () => {
  const m = statusModel([[conn({
    state: "SEND_RESPONSE",
    method: "GET",
    target: 'http://x/<script>alert("1")</script>',
    user: "a&b",
  })]], { ...O, draining: true });
  const html = statusHtml(m);
  assert.match(html, /<meta http-equiv="refresh" content="2">/);
  assert.match(html, /<meta name="viewport"/);
  assert.doesNotMatch(html, /<script/);
  assert.match(html, /&lt;script&gt;alert\(&quot;1&quot;\)&lt;\/script&gt;/);
  assert.match(html, /a&amp;b/);
  assert.match(html, /draining/);
  assert.match(html, /@media \(max-width:640px\)/);
});

Deno.test("LagMeter: the largest lateness since the last reading, then reset", () => {
  const m = new LagMeter();
  m.note(3);
  m.note(12);
  m.note(-1);
  assert.equal(m.take(), 0.012);
  assert.equal(m.take(), 0);
});
