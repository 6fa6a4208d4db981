import assert from "node:assert/strict";
import { DIRECT_READS, readSome } from "../lib/socket_read.ts";
import type { Duplex } from "../lib/exchange.ts";

/** A fake socket answering `answers` in turn (a number, null, or an error to reject with). */
function fake(answers: (number | null | Error)[]): Duplex & { reads: number } {
  const d = {
    reads: 0,
    read(_p: Uint8Array): Promise<number | null> {
      const a = answers[d.reads++];
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? null);
    },
    write: (p: Uint8Array) => Promise.resolve(p.length),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
  return d;
}

async function pair(): Promise<[Deno.TcpConn, Deno.TcpConn, Deno.TcpListener]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const a = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  return [a, await accepted, listener];
}

Deno.test("readSome: this runtime offers the direct read op", () => {
  assert.equal(DIRECT_READS, true);
});

Deno.test("readSome: a real connection is read through the op, not conn.read; 0 at end of stream", async () => {
  const [a, b, listener] = await pair();
  try {
    // were conn.read used, this would throw
    Object.defineProperty(b, "read", {
      value: () => {
        throw new Error("conn.read called");
      },
    });
    await a.write(new TextEncoder().encode("hello"));
    const buf = new Uint8Array(16);
    let got = 0;
    while (got < 5) got += await readSome(b, buf.subarray(got));
    assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), "hello");
    await a.closeWrite();
    assert.equal(await readSome(b, buf), 0);
  } finally {
    a.close();
    b.close();
    listener.close();
  }
});

Deno.test("readSome: a read on a closed connection rejects", async () => {
  const [a, b, listener] = await pair();
  b.close();
  await assert.rejects(readSome(b, new Uint8Array(8)));
  a.close();
  listener.close();
});

Deno.test("readSome: a socket without a resource id falls back to read; null is 0", async () => {
  const d = fake([3, null]);
  assert.equal(await readSome(d, new Uint8Array(8)), 3);
  assert.equal(await readSome(d, new Uint8Array(8)), 0);
  assert.equal(d.reads, 2);
});

Deno.test("readSome: a 0-byte read that is not the end is read again", async () => {
  const d = fake([0, 0, 5]);
  assert.equal(await readSome(d, new Uint8Array(8)), 5);
  assert.equal(d.reads, 3);
});

Deno.test("readSome: a fallback read's error rejects", async () => {
  await assert.rejects(readSome(fake([new Error("reset")]), new Uint8Array(8)), /reset/);
});
