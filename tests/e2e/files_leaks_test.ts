/**
 * Nothing is left open by clients that go away, through the real CLI: the
 * proxy process's open file descriptors (/proc/PID/fd) are counted after a
 * warm-up, while clients hold sockets and files open (the count must show
 * them), and after clients that connect and send nothing, leave in the
 * middle of a 32 MiB download, or stop reading until `--stall-timeout`
 * gives up on them: the count returns to its baseline and files are still
 * served. The process's memory stays bounded while many large downloads
 * wait on their clients (bodies go through 64 KiB windows).
 */

import assert from "node:assert/strict";
import { assertAccessLine, bytes, delay, type ProxyProcess } from "./harness.ts";
import { openFds, procStatusKiB } from "../bench/procs.ts";
import { curlGot, download, makeFixture } from "./files_fixture.ts";

const MiB = 1024 * 1024;
const GET_BIG = "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

async function fds(p: ProxyProcess): Promise<number> {
  const n = await openFds(p.child.pid);
  assert.ok(n !== null, "/proc/PID/fd is readable");
  return n;
}

/** Waits (up to `ms`) for the fd count to be back at `baseline`; returns the last count. */
async function settles(p: ProxyProcess, baseline: number, ms = 3000): Promise<number> {
  const end = Date.now() + ms;
  let n = await fds(p);
  while (n > baseline && Date.now() < end) {
    await delay(100);
    n = await fds(p);
  }
  return n;
}

/** Connects and sends `GET /big.bin`, reads `atLeast` bytes, and returns the socket open. */
async function startBig(port: number, atLeast: number): Promise<Deno.TcpConn> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await c.write(bytes(GET_BIG));
  const buf = new Uint8Array(16 * 1024);
  for (let got = 0; got < atLeast;) {
    const n = await c.read(buf);
    if (n === null) throw new Error("closed early");
    got += n;
  }
  return c;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch {
      // closed
    }
  }
}

/** A quick check that the server still answers in full. */
async function stillServes(port: number): Promise<void> {
  assert.equal((await curlGot([`http://127.0.0.1:${port}/a.txt`])).text, "alpha");
  assert.equal((await download(port, "/mid.bin")).length, 3 * MiB);
}

Deno.test("files leave nothing open: idle, departed and stalled clients", async (t) => {
  const fx = await makeFixture("files-leaks");
  try {
    await fx.write({ "a.txt": "alpha", "mid.bin": new Uint8Array(3 * MiB) });
    const big = await Deno.open(`${fx.root}/big.bin`, { create: true, write: true });
    await big.truncate(32 * MiB); // sparse: the content does not matter here
    big.close();

    await fx.serve(["--stall-timeout", "1"], async (p) => {
      // warm-up: every kind of exchange once, then the count at rest
      await stillServes(p.port);
      closeAll([await startBig(p.port, 64 * 1024)]);
      await delay(300);
      const baseline = await settles(p, 0, 500);

      await t.step("the count sees open downloads", async () => {
        const conns = await Promise.all(
          Array.from({ length: 10 }, () => startBig(p.port, 64 * 1024)),
        );
        try {
          const busy = await fds(p);
          assert.ok(busy >= baseline + 10, `baseline ${baseline}, with 10 downloads ${busy}`);
        } finally {
          closeAll(conns);
        }
        const after = await settles(p, baseline);
        assert.ok(after <= baseline, `baseline ${baseline}, after ${after}`);
      });

      await t.step("memory stays bounded while 20 clients hold 32 MiB downloads", async () => {
        const before = await procStatusKiB(p.child.pid, "VmRSS");
        assert.ok(before !== null, "/proc/PID/status is readable");
        const conns = await Promise.all(
          Array.from({ length: 20 }, () => startBig(p.port, 64 * 1024)),
        );
        try {
          await delay(500); // the server fills what the sockets take, then waits
          const during = (await procStatusKiB(p.child.pid, "VmRSS"))!;
          // whole files in memory would be 640 MiB; 64 KiB windows are a few MiB
          assert.ok(during - before < 64 * 1024, `RSS ${before} KiB, then ${during} KiB`);
        } finally {
          closeAll(conns);
        }
        const after = await settles(p, baseline);
        assert.ok(after <= baseline, `baseline ${baseline}, after ${after}`);
      });

      await t.step("clients that connect, send nothing and close", async () => {
        const conns = await Promise.all(
          Array.from({ length: 20 }, () => Deno.connect({ hostname: "127.0.0.1", port: p.port })),
        );
        await delay(100);
        closeAll(conns);
        // and some that send half a head first
        for (let i = 0; i < 5; i++) {
          const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
          await c.write(bytes("GET /a.txt HTTP/1.1\r\nHo"));
          c.close();
        }
        await stillServes(p.port);
        const after = await settles(p, baseline);
        assert.ok(after <= baseline, `baseline ${baseline}, after ${after}`);
      });

      await t.step("clients that leave in the middle of a 32 MiB download", async () => {
        const conns = await Promise.all(
          Array.from({ length: 10 }, (_, i) => startBig(p.port, (i + 1) * 100 * 1024)),
        );
        closeAll(conns);
        await stillServes(p.port);
        const after = await settles(p, baseline);
        assert.ok(after <= baseline, `baseline ${baseline}, after ${after}`);
        await assertAccessLine(p, "GET /big\\.bin 200 .*client-closed");
      });

      await t.step("clients that stop reading are dropped by --stall-timeout", async () => {
        const conns = await Promise.all(
          Array.from({ length: 5 }, () => startBig(p.port, 64 * 1024)),
        );
        try {
          // they keep their sockets open and read nothing more
          const start = Date.now();
          const after = await settles(p, baseline, 8000);
          assert.ok(after <= baseline, `baseline ${baseline}, after ${after}`);
          assert.ok(Date.now() - start >= 500, "not before the stall deadline");
          await stillServes(p.port);
          await assertAccessLine(p, "GET /big\\.bin 200 .* stalled");
        } finally {
          closeAll(conns);
        }
        const after = await settles(p, baseline);
        assert.ok(after <= baseline, `baseline ${baseline}, after ${after}`);
      });
    }, { watchdogMs: 40_000 });
  } finally {
    await fx.remove();
  }
});
