import assert from "node:assert/strict";
import { AdminServer, adminSource } from "../../lib/admin/admin_server.ts";
import { parseExposition } from "../../lib/admin/exposition.ts";
import { Stats } from "../../lib/admin/stats.ts";
import type { LoopSnapshot } from "../../lib/server.ts";

function loop(n: number): LoopSnapshot {
  const s = new Stats();
  for (let i = 0; i < n; i++) s.accepted();
  return { stats: s.snapshot(), connections: [], poolIdle: 1, listeners: 1, cache: null };
}

function server(draining = { value: false }, allow: string[] = []) {
  const source = adminSource(
    {
      get draining() {
        return draining.value;
      },
      snapshot: () => loop(2),
    },
    { snapshots: () => Promise.resolve([loop(3)]) },
  );
  return new AdminServer({ hostname: "127.0.0.1", port: 0 }, allow, source);
}

Deno.test("AdminServer.allows: loopback always, others only within --admin-allow", () => {
  const a = server({ value: false }, ["10.0.0.0/8"]);
  assert.equal(a.allows("127.0.0.1"), true);
  assert.equal(a.allows("::1"), true);
  assert.equal(a.allows("10.9.8.7"), true);
  assert.equal(a.allows("192.168.1.1"), false);
  assert.equal(server().allows("10.9.8.7"), false);
});

Deno.test("AdminServer.answer: /healthz follows the drain; /metrics sums the loops; 404 and 405", async () => {
  const draining = { value: false };
  const a = server(draining);
  assert.deepEqual(await a.answer("GET", "/healthz"), {
    status: 200,
    type: "text/plain; charset=utf-8",
    body: "ok\n",
  });
  draining.value = true;
  assert.equal((await a.answer("GET", "/healthz")).status, 503);
  const m = await a.answer("GET", "/metrics?x=1");
  assert.equal(m.status, 200);
  const p = parseExposition(m.body);
  assert.equal(p.samples.find((s) => s.name === "sluice_connections_accepted_total")?.value, 5);
  assert.equal(p.samples.find((s) => s.name === "sluice_event_loops")?.value, 2);
  assert.equal(p.samples.find((s) => s.name === "sluice_draining")?.value, 1);
  assert.equal((await a.answer("GET", "/status.json")).type, "application/json");
  assert.match((await a.answer("GET", "/status")).body, /<!doctype html>/);
  assert.equal((await a.answer("GET", "/nope")).status, 404);
  assert.equal((await a.answer("DELETE", "/metrics")).status, 405);
});
