/**
 * The admin listener through the real CLI: `/metrics` counters against the
 * traffic sent, every line accepted by the exposition parser (and by
 * `promtool check metrics` where Debian's prometheus is installed); `/status`
 * in headless Chromium with a connection in each state; `/healthz` turning
 * 503 when a drain begins while the proxy still accepts (`--drain-delay`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseExposition } from "../../lib/admin/exposition.ts";
import {
  bytes,
  delay,
  findChromium,
  RawClient,
  rawOrigin,
  readHead,
  SERVE_FLAGS,
  spawnProxy,
  text,
} from "./harness.ts";

/** Starts the CLI with an admin listener on an ephemeral port; returns both ports. */
async function start(extra: string[] = [], flags = SERVE_FLAGS) {
  const p = await spawnProxy([
    "--listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
    "--log-level",
    "warning",
    ...extra,
  ], flags);
  let admin = 0;
  for (let i = 0; i < 100 && admin === 0; i++) {
    const m = p.log().match(/admin on http:\/\/127\.0\.0\.1:(\d+)/);
    if (m) admin = Number(m[1]);
    else await delay(20);
  }
  assert.ok(admin > 0, p.log());
  return { p, admin };
}

async function fetchText(url: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get("content-type") ?? "", body: await r.text() };
}

function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const s = parseExposition(text).samples.find((x) =>
    x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)
  );
  return s?.value ?? 0;
}

Deno.test("admin /metrics: counters match the traffic sent; the text parses (and passes promtool)", async () => {
  const origin = rawOrigin(async (conn) => {
    for (;;) {
      const { head } = await readHead(conn).catch(() => ({ head: "" }));
      if (head === "") return;
      const body = head.startsWith("GET /missing") ? "no" : "hello";
      const status = head.startsWith("GET /missing") ? "404 Not Found" : "200 OK";
      await conn.write(
        bytes(
          `HTTP/1.1 ${status}\r\nCache-Control: no-store\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ),
      );
    }
  });
  const { p, admin } = await start();
  try {
    const c = await RawClient.connect(p.port);
    let sent = 0;
    let received = 0;
    try {
      for (let i = 0; i < 5; i++) {
        const req = `GET http://127.0.0.1:${origin.port}/${
          i === 4 ? "missing" : "ok"
        } HTTP/1.1\r\nHost: x\r\n\r\n`;
        await c.write(req);
        sent += req.length;
        const r = await c.read();
        received += r.head.length + r.body.length;
      }
    } finally {
      c.close();
    }
    // a refused destination: dial failure by cause
    const dead = await RawClient.connect(p.port);
    try {
      await dead.write(`GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal((await dead.read()).status, 502);
    } finally {
      dead.close();
    }
    await delay(100);
    const m = await fetchText(`http://127.0.0.1:${admin}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(value(m.body, "sluice_requests_total", { method: "GET", status_class: "2xx" }), 4);
    assert.equal(value(m.body, "sluice_requests_total", { method: "GET", status_class: "4xx" }), 1);
    assert.equal(value(m.body, "sluice_requests_total", { method: "GET", status_class: "5xx" }), 1);
    assert.equal(
      value(m.body, "sluice_upstream_dial_failures_total", { cause: "upstream-refused" }),
      1,
    );
    assert.equal(value(m.body, "sluice_failures_total", { reason: "upstream-refused" }), 1);
    assert.equal(value(m.body, "sluice_upstream_dialled_total"), 1);
    assert.equal(value(m.body, "sluice_upstream_reused_total"), 4);
    assert.ok(value(m.body, "sluice_client_received_bytes_total") >= sent);
    assert.ok(value(m.body, "sluice_client_sent_bytes_total") >= received);
    assert.equal(value(m.body, "sluice_request_duration_seconds_count"), 6);
    assert.equal(value(m.body, "sluice_connections_accepted_total"), 2);
    assert.ok(value(m.body, "sluice_resident_memory_bytes") > 1e6);
    // 2 listeners (127.0.0.1 only: 1) + the admin listener + the pooled upstream connection
    assert.equal(value(m.body, "sluice_open_sockets"), 3);
    const promtool = await new Deno.Command("bash", { args: ["-c", "command -v promtool"] })
      .output();
    if (promtool.success) {
      const check = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stderr: "piped",
        stdout: "piped",
      }).spawn();
      const w = check.stdin.getWriter();
      await w.write(bytes(m.body));
      await w.close();
      const out = await check.output();
      assert.ok(out.success, text(out.stdout) + text(out.stderr));
    }
  } finally {
    await p.stop();
    await origin.close();
  }
});

Deno.test("admin: /status.json and /status show a connection in each state; Chromium renders the page", async () => {
  const hold = Promise.withResolvers<void>();
  const big = new Uint8Array(32 << 20);
  const origin = rawOrigin(async (conn) => {
    const { head } = await readHead(conn);
    if (head.startsWith("GET /slow")) {
      await hold.promise; // holds its exchange in READ_RESPONSE
      await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).catch(() => {});
    } else if (head.startsWith("GET /big")) {
      // a client that does not read holds this one in SEND_RESPONSE
      await conn.write(
        bytes(
          `HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: ${big.length}\r\n\r\n`,
        ),
      );
      // write() may take only part: keep writing (it blocks once the proxy stops reading)
      for (let off = 0; off < big.length;) {
        const n = await conn.write(big.subarray(off)).catch(() => 0);
        if (n === 0) break;
        off += n;
      }
    }
  });
  const tunnelTarget = rawOrigin(async (conn) => {
    await hold.promise;
    conn.close();
  });
  const { p, admin } = await start(["--connect-ports", String(tunnelTarget.port)]);
  const clients: RawClient[] = [];
  const profile = await Deno.makeTempDir();
  try {
    const open = async (req: string) => {
      const c = await RawClient.connect(p.port);
      clients.push(c);
      await c.write(req);
      return c;
    };
    const o = `127.0.0.1:${origin.port}`;
    await open(`GET http://${o}/slow HTTP/1.1\r\nHost: ${o}\r\n\r\n`);
    await open(`GET http://${o}/big HTTP/1.1\r\nHost: ${o}\r\n\r\n`);
    await open(`CONNECT 127.0.0.1:${tunnelTarget.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await open(""); // connected, no request yet: READ_REQUEST
    let states: string[] = [];
    for (let i = 0; i < 100; i++) {
      const j = JSON.parse((await fetchText(`http://127.0.0.1:${admin}/status.json`)).body);
      states = j.connections.map((c: { state: string }) => c.state).sort();
      if (states.join() === "READ_REQUEST,READ_RESPONSE,SEND_RESPONSE,TUNNEL") break;
      await delay(50);
    }
    assert.deepEqual(states, ["READ_REQUEST", "READ_RESPONSE", "SEND_RESPONSE", "TUNNEL"]);
    const m = await fetchText(`http://127.0.0.1:${admin}/metrics`);
    for (const s of ["READ_REQUEST", "READ_RESPONSE", "SEND_RESPONSE", "TUNNEL"]) {
      assert.equal(value(m.body, "sluice_connections", { state: s }), 1, s);
    }
    const chromium = findChromium();
    if (chromium) {
      const shot = `${profile}/status.png`;
      const args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        "--window-size=420,900",
      ];
      const dom = await new Deno.Command(chromium, {
        args: [...args, "--dump-dom", `http://127.0.0.1:${admin}/status`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const html = text(dom.stdout);
      for (const s of ["READ_RESPONSE", "SEND_RESPONSE", "TUNNEL"]) {
        assert.match(html, new RegExp(`<span class="st">${s}</span>`), s);
      }
      await new Deno.Command(chromium, {
        args: [...args, `--screenshot=${shot}`, `http://127.0.0.1:${admin}/status`],
        stdout: "null",
        stderr: "null",
      }).output();
      const size = (await Deno.stat(shot)).size;
      assert.ok(size > 10_000, `a rendered page, not a blank one (${size} bytes)`);
    }
  } finally {
    hold.resolve();
    for (const c of clients) c.close();
    await p.stop();
    await origin.close();
    await tunnelTarget.close();
    await Deno.remove(profile, { recursive: true });
  }
});

Deno.test("admin /healthz: 200 while serving; 503 from the start of a drain while the proxy still accepts (--drain-delay)", async () => {
  const { p, admin } = await start(["--drain-delay", "1.5"]);
  try {
    assert.deepEqual(
      await fetchText(`http://127.0.0.1:${admin}/healthz`).then((r) => [r.status, r.body]),
      [200, "ok\n"],
    );
    p.child.kill("SIGTERM");
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await fetchText(`http://127.0.0.1:${admin}/healthz`)).status;
      if (status === 200) await delay(20);
    }
    assert.equal(status, 503);
    // still accepting proxy connections during the delay
    const c = await RawClient.connect(p.port);
    try {
      await c.write("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.ok((await c.read()).status > 0);
    } finally {
      c.close();
    }
    const done = await p.child.status;
    assert.equal(done.code, 0);
  } finally {
    await p.stop().catch(() => {});
  }
});

Deno.test("admin: unknown paths 404, other methods 405", async () => {
  const { p, admin } = await start();
  try {
    assert.equal((await fetchText(`http://127.0.0.1:${admin}/nope`)).status, 404);
    const r = await fetch(`http://127.0.0.1:${admin}/metrics`, { method: "POST", body: "x" });
    await r.body?.cancel();
    assert.equal(r.status, 405);
  } finally {
    await p.stop();
  }
});

Deno.test("admin with --workers 2: /metrics sums every event loop", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  });
  const flags = SERVE_FLAGS.map((f) => f === "-P" ? "-P=workers" : f);
  const { p, admin } = await start(["--workers", "2", "--cache-size", "0"], flags);
  try {
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.connect(p.port);
      try {
        await c.write(
          `GET http://127.0.0.1:${origin.port}/${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        assert.equal((await c.read()).status, 200);
      } finally {
        c.close();
      }
    }
    await delay(100);
    const m = await fetchText(`http://127.0.0.1:${admin}/metrics`);
    assert.equal(value(m.body, "sluice_event_loops"), 2);
    assert.equal(
      value(m.body, "sluice_requests_total", { method: "GET", status_class: "2xx" }),
      20,
    );
    assert.equal(value(m.body, "sluice_connections_accepted_total"), 20);
  } finally {
    await p.stop();
    await origin.close();
  }
});
