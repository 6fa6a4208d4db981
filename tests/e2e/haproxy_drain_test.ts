/**
 * deploy/haproxy.cfg as it ships (only its placeholder ports rewritten): two
 * real sluice processes (the serve task's flags) behind HAProxy, health-checked
 * on /healthz. A CONNECT goes through HAProxy's HTTP mode into a tunnel. Under a steady load of 20 clients (kept-alive connections and a
 * new connection per request), one sluice gets SIGTERM. No request may fail:
 * HAProxy must take the draining instance out (its /healthz turns 503 at
 * once) before it stops accepting (--drain-delay later), the exchanges already
 * on it must finish within --drain-timeout, and it must exit 0; the other
 * instance carries on. Ignored where HAProxy is not installed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { which } from "../bench/procs.ts";
import {
  type ClientResponse,
  delay,
  type ProxyProcess,
  RawClient,
  rawOrigin,
  readHead,
  ROOT,
  spawnProxy,
  text,
} from "./harness.ts";

const HAPROXY = await which("haproxy", ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]);

/** The placeholder ports of deploy/haproxy.cfg (its header says which is which). */
const PLACEHOLDERS = ["18180", "18181", "18182", "18183", "19181", "19182"] as const;
/** Seconds the draining sluice keeps accepting with /healthz at 503. */
const DRAIN_DELAY_S = 1.5;
/** Seconds the in-flight exchanges then have. */
const DRAIN_TIMEOUT_S = 5;
/** How long the origin holds a /slow request: it outlives the drain delay. */
const SLOW_MS = 2500;

/** A loopback port that was free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** An HTTP/1.1 keep-alive origin answering each request with its path (after SLOW_MS for /slow). */
function pathEcho() {
  return rawOrigin(async (conn) => {
    let acc = "";
    const buf = new Uint8Array(16384);
    for (;;) {
      let end: number;
      while ((end = acc.indexOf("\r\n\r\n")) < 0) {
        const n = await conn.read(buf);
        if (n === null) return;
        acc += text(buf.subarray(0, n));
      }
      const path = acc.slice(0, acc.indexOf("\r\n")).split(" ")[1];
      const close = /\r\nconnection: *close\r\n/i.test(acc.slice(0, end + 2));
      acc = acc.slice(end + 4);
      if (path.startsWith("/slow")) await delay(SLOW_MS);
      const head = `HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n` +
        `Cache-Control: no-store\r\nContent-Type: text/plain\r\n\r\n`;
      await conn.write(new TextEncoder().encode(head + path));
      if (close) return;
    }
  });
}

/** HAProxy in the foreground on `cfg`, its output kept as a bounded tail. */
function startHaproxy(cfg: string) {
  const child = new Deno.Command(HAPROXY!, {
    args: ["-db", "-f", cfg],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let tail = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      tail = (tail + chunk).slice(-64 * 1024);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  return {
    tail: () => tail,
    kill: () => child.kill("SIGKILL"),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      await child.status;
      await drained;
    },
  };
}

/** The status (UP, DOWN, ...) and last check result of each server of backend `sluice`. */
async function serverStates(statsPort: number): Promise<Map<string, string>> {
  const c = await RawClient.connect(statsPort);
  let r: ClientResponse;
  try {
    await c.write("GET /stats;csv HTTP/1.1\r\nHost: stats\r\nConnection: close\r\n\r\n");
    r = await c.read();
  } finally {
    c.close();
  }
  const lines = text(r.body).split("\n");
  const cols = lines[0].replace(/^# /, "").split(",");
  const [px, sv, st, chk] = ["pxname", "svname", "status", "check_status"].map((n) =>
    cols.indexOf(n)
  );
  const out = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const f = l.split(",");
    if (f[px] === "sluice" && f[sv] !== "BACKEND") out.set(f[sv], `${f[st]} ${f[chk]}`);
  }
  return out;
}

/** One request through HAProxy as a client of the proxy would send it. */
function request(originPort: number, path: string, close: boolean): string {
  return `GET http://127.0.0.1:${originPort}${path} HTTP/1.1\r\n` +
    `Host: 127.0.0.1:${originPort}\r\n${close ? "Connection: close\r\n" : ""}\r\n`;
}

/** A request's outcome: which instance answered (from Via) and when, relative to the SIGTERM. */
interface Served {
  path: string;
  by: string;
  at: number;
}

Deno.test({
  name: `HAProxy in front of two sluices: SIGTERM to one under steady load loses no request${
    HAPROXY ? "" : " (ignored: haproxy is not installed; apt-get install haproxy)"
  }`,
  ignore: HAPROXY === null,
  async fn() {
    const origin = pathEcho();
    const dir = await Deno.makeTempDir({ prefix: "sluice-haproxy-" });
    const [adminA, adminB, front, stats] = [freePort(), freePort(), freePort(), freePort()];
    const sluice = (name: string, admin: number) =>
      spawnProxy([
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        `127.0.0.1:${admin}`,
        "--drain-delay",
        String(DRAIN_DELAY_S),
        "--drain-timeout",
        String(DRAIN_TIMEOUT_S),
        "--via-name",
        name,
        "--connect-ports",
        String(origin.port),
        "--log-level",
        "warning",
      ]);
    const procs: ProxyProcess[] = [];
    let haproxy: ReturnType<typeof startHaproxy> | null = null;
    let running = true;
    let t0 = Infinity; // when A got SIGTERM (performance.now())
    const served: Served[] = [];
    const failures: string[] = [];
    const clients: Promise<void>[] = [];
    let slow: Promise<void>[] = [];
    // a hung run fails instead of hanging: everything killed, every socket ends
    const watchdog = setTimeout(() => {
      running = false;
      haproxy?.kill();
      for (const p of procs) p.child.kill("SIGKILL");
    }, 40_000);
    try {
      const [a, b] = await Promise.all([sluice("a", adminA), sluice("b", adminB)]);
      procs.push(a, b);
      let cfg = await Deno.readTextFile(`${ROOT}deploy/haproxy.cfg`);
      const ports: Record<string, number> = {
        18180: front,
        18181: a.port,
        18182: b.port,
        18183: stats,
        19181: adminA,
        19182: adminB,
      };
      for (const p of PLACEHOLDERS) {
        assert.match(cfg, new RegExp(`\\b${p}\\b`), `deploy/haproxy.cfg lost port ${p}`);
        cfg = cfg.replaceAll(new RegExp(`\\b${p}\\b`, "g"), String(ports[p]));
      }
      await Deno.writeTextFile(`${dir}/haproxy.cfg`, cfg);
      haproxy = startHaproxy(`${dir}/haproxy.cfg`);

      // both instances UP with a passed HTTP check (rise 2 x inter 500 ms)
      let states = new Map<string, string>();
      for (let i = 0; i < 100; i++) {
        states = await serverStates(stats).catch(() => new Map());
        if (states.get("a") === "UP L7OK" && states.get("b") === "UP L7OK") break;
        await delay(100);
      }
      assert.deepEqual(
        [states.get("a"), states.get("b")],
        ["UP L7OK", "UP L7OK"],
        `HAProxy never saw both /healthz pass:\n${haproxy.tail()}`,
      );

      // mode http forwards CONNECT and then tunnels: a request through the tunnel
      const tunnel = await RawClient.connect(front);
      try {
        const authority = `127.0.0.1:${origin.port}`;
        await tunnel.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
        const { head, rest } = await readHead(tunnel.conn);
        assert.match(head, /^HTTP\/1\.1 200 /, head);
        assert.equal(rest.length, 0);
        await tunnel.write(
          `GET /tunnel HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`,
        );
        const r = await tunnel.read();
        assert.equal(text(r.body), "/tunnel", r.head);
        assert.equal(r.headers.get("via"), undefined, "the origin answered itself, in the tunnel");
      } finally {
        tunnel.close();
      }

      const check = (r: ClientResponse, path: string) => {
        const by = /^1\.1 ([ab])$/.exec(r.headers.get("via") ?? "")?.[1];
        if (r.status !== 200 || text(r.body) !== path || by === undefined) {
          failures.push(`${path}: ${r.head.split("\r\n")[0]} via ${r.headers.get("via")}`);
        } else {
          served.push({ path, by, at: performance.now() - t0 });
        }
      };
      // 14 clients on kept-alive connections, 6 on a new connection per request; ~50 req/s each
      const client = async (id: number, keepAlive: boolean) => {
        let c: RawClient | null = null;
        for (let n = 0; running; n++) {
          const path = `/fast/${id}/${n}`;
          try {
            c ??= await RawClient.connect(front);
            await c.write(request(origin.port, path, !keepAlive));
            const r = await c.read();
            check(r, path);
            if (!keepAlive || r.headers.get("connection") === "close") {
              c.close();
              c = null;
            }
          } catch (err) {
            failures.push(`${path}: ${(err as Error).message}`);
            c?.close();
            c = null;
          }
          await delay(20);
        }
        c?.close();
      };
      for (let i = 0; i < 20; i++) clients.push(client(i, i < 14));
      await delay(1500);

      // exchanges in flight when the drain starts, still running when the listener closes
      slow = Array.from({ length: 8 }, async (_, k) => {
        const path = `/slow/${k}`;
        const c = await RawClient.connect(front);
        try {
          await c.write(request(origin.port, path, true));
          check(await c.read(), path);
        } catch (err) {
          failures.push(`${path}: ${(err as Error).message}`);
        } finally {
          c.close();
        }
      });
      await delay(200);

      t0 = performance.now();
      const stopA = a.stop("SIGTERM");
      let tDown = Infinity;
      while (performance.now() - t0 < 5000) {
        const s = await serverStates(stats);
        if (!s.get("a")?.startsWith("UP")) {
          tDown = performance.now() - t0;
          break;
        }
        await delay(50);
      }
      const statusA = await stopA;
      const tExit = performance.now() - t0;
      await Promise.all(slow);
      await delay(1000);
      running = false;
      await Promise.all(clients);

      assert.deepEqual(failures, [], `${failures.length} failed requests`);
      assert.equal(statusA.code, 0, `the drained sluice exited ${statusA.code}:\n${a.log()}`);
      assert.ok(
        tDown < DRAIN_DELAY_S * 1000,
        `HAProxy took A out ${tDown} ms after SIGTERM, not before its listener closed`,
      );
      assert.ok(
        tExit >= DRAIN_DELAY_S * 1000 && tExit < (DRAIN_DELAY_S + DRAIN_TIMEOUT_S) * 1000,
        `A exited ${tExit.toFixed(0)} ms after SIGTERM`,
      );
      const byA = served.filter((s) => s.by === "a");
      const byB = served.filter((s) => s.by === "b");
      assert.ok(byA.some((s) => s.at < 0), "A served requests before the SIGTERM");
      assert.ok(byA.every((s) => s.at < tExit), "nothing came from A after it exited");
      assert.ok(byB.filter((s) => s.at > tExit).length > 20, "B carried on after A exited");
      // a /slow exchange on A started before the drain, outlived its listener and finished
      const slowOnA = byA.filter((s) => s.path.startsWith("/slow/") && s.at > DRAIN_DELAY_S * 1000);
      assert.ok(slowOnA.length > 0, "an exchange in flight on A finished during its drain");
      console.log(
        `${served.length} requests, none failed; A out of HAProxy ${tDown.toFixed(0)} ms and ` +
          `exited ${tExit.toFixed(0)} ms after SIGTERM; ${slowOnA.length} slow exchange(s) ` +
          `finished on A during its drain; B served ${
            byB.filter((s) => s.at > tExit).length
          } after`,
      );
    } finally {
      clearTimeout(watchdog);
      running = false;
      await Promise.allSettled([...clients, ...slow]);
      await haproxy?.stop();
      for (const p of procs) await p.stop();
      await origin.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
