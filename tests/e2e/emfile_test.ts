/**
 * Running out of file descriptors: the proxy runs with `ulimit -n 64`; a
 * flood of clients exhausts them. Accept backs off instead of spinning or
 * dying, the exchange already running finishes, and once the flood leaves,
 * new clients are served again.
 */
import assert from "node:assert/strict";
import { bytes, curl, delay, RawClient, rawOrigin, readHead, spawnProxy, text } from "./harness.ts";
import { sh } from "../bench/procs.ts";

Deno.test({
  name: "EMFILE is survived: accept backs off, running exchanges finish, service resumes",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const release = Promise.withResolvers<void>();
    const origin = rawOrigin(async (conn) => {
      const { head } = await readHead(conn);
      if (head.includes("/slow")) await release.promise;
      await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"));
    });
    const proxy = await spawnProxy(["--listen", "127.0.0.1:0"], undefined, 64);
    const flood: Deno.TcpConn[] = [];
    try {
      const inFlight = await RawClient.connect(proxy.port);
      await inFlight.write(`GET http://127.0.0.1:${origin.port}/slow HTTP/1.1\r\n\r\n`);
      await delay(200);
      for (let i = 0; i < 100; i++) {
        flood.push(await Deno.connect({ hostname: "127.0.0.1", port: proxy.port }));
      }
      await delay(500);
      const cpu0 = await cpuTicks(proxy.child.pid);
      await delay(1000);
      const cpu = (await cpuTicks(proxy.child.pid)) - cpu0;
      assert.ok(cpu < 50, `accept loop must not spin while out of fds (${cpu} ticks in 1 s)`);
      assert.match(proxy.log(), /accept failed/i);
      release.resolve();
      const r = await inFlight.read();
      assert.equal(text(r.body), "done", "the exchange already running finishes");
      inFlight.close();
      for (const c of flood.splice(0)) c.close();
      await delay(500);
      const after = await curl([
        "-x",
        `http://127.0.0.1:${proxy.port}`,
        `http://127.0.0.1:${origin.port}/`,
      ]);
      assert.equal(text(after.stdout), "done", after.stderr);
    } finally {
      release.resolve();
      for (const c of flood) c.close();
      const status = await proxy.stop();
      await origin.close();
      assert.equal(status.code, 0, proxy.log().slice(-3000));
    }
  },
});

/** utime + stime of a process, in clock ticks. */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await sh(`cat /proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}
