import assert from "node:assert/strict";
import { DIRECT_OPS, readSome, writeSome } from "../lib/socket_ops.ts";
import type { Duplex } from "../lib/exchange.ts";

/** A fake socket answering `answers` in turn (a number, null, or an error to reject with). */
function fake(answers: (number | null | Error)[]): Duplex & { reads: number; written: number[] } {
  const d = {
    reads: 0,
    written: [] as number[],
    read(_p: Uint8Array): Promise<number | null> {
      const a = answers[d.reads++];
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? null);
    },
    write(p: Uint8Array): Promise<number> {
      // at most 3 bytes a write, so callers must write the rest themselves
      const n = Math.min(p.length, 3);
      d.written.push(n);
      return Promise.resolve(n);
    },
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

Deno.test("socket_ops: this runtime offers the direct read and write ops", () => {
  assert.equal(DIRECT_OPS, true);
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

Deno.test("writeSome: a real connection is written through the op, not conn.write", async () => {
  const [a, b, listener] = await pair();
  try {
    // were conn.write used, this would throw
    Object.defineProperty(a, "write", {
      value: () => {
        throw new Error("conn.write called");
      },
    });
    const bytes = new TextEncoder().encode("hello");
    let off = 0;
    while (off < bytes.length) off += await writeSome(a, bytes.subarray(off));
    const buf = new Uint8Array(16);
    let got = 0;
    while (got < 5) got += await readSome(b, buf.subarray(got));
    assert.equal(new TextDecoder().decode(buf.subarray(0, got)), "hello");
  } finally {
    a.close();
    b.close();
    listener.close();
  }
});

Deno.test("writeSome: a write on a closed connection rejects", async () => {
  const [a, b, listener] = await pair();
  a.close();
  await assert.rejects(writeSome(a, new Uint8Array(8)));
  b.close();
  listener.close();
});

Deno.test("writeSome: a socket without a resource id falls back to write, and answers its count", async () => {
  const d = fake([]);
  assert.equal(await writeSome(d, new Uint8Array(8)), 3);
  assert.equal(await writeSome(d, new Uint8Array(2)), 2);
  assert.deepEqual(d.written, [3, 2]);
});
