import assert from "node:assert/strict";
import { ByteBuffer, DEFAULT_BUFFER_SIZE } from "../lib/buffer.ts";

/** Writes `bytes` into the free space and commits them. */
function put(b: ByteBuffer, bytes: number[]): void {
  b.free().set(bytes);
  b.commit(bytes.length);
}

Deno.test("ByteBuffer: default capacity is 64 KiB and it starts empty", () => {
  const b = new ByteBuffer();
  assert.equal(DEFAULT_BUFFER_SIZE, 65536);
  assert.equal(b.capacity, 65536);
  assert.equal(b.length, 0);
  assert.equal(b.start, 0);
  assert.equal(b.end, 0);
  assert.equal(b.data().length, 0);
  assert.equal(b.free().length, 65536);
});

Deno.test("ByteBuffer: commit makes free bytes readable", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3]);
  assert.equal(b.length, 3);
  assert.equal(b.end, 3);
  assert.deepEqual([...b.data()], [1, 2, 3]);
  assert.equal(b.free().length, 5);
  put(b, [4, 5]);
  assert.deepEqual([...b.data()], [1, 2, 3, 4, 5]);
  assert.equal(b.free().length, 3);
});

Deno.test("ByteBuffer: commit(0) is allowed and changes nothing", () => {
  const b = new ByteBuffer(4);
  b.commit(0);
  assert.equal(b.length, 0);
  put(b, [1, 2, 3, 4]);
  b.commit(0);
  assert.equal(b.length, 4);
});

Deno.test("ByteBuffer: commit up to exactly the capacity is allowed", () => {
  const b = new ByteBuffer(4);
  b.commit(4);
  assert.equal(b.length, 4);
  assert.equal(b.free().length, 0);
});

Deno.test("ByteBuffer: over-commit throws RangeError and leaves the buffer unchanged", () => {
  const b = new ByteBuffer(4);
  put(b, [1, 2]);
  assert.throws(() => b.commit(3), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /Cannot commit 3 bytes: only 2 free/);
    return true;
  });
  assert.equal(b.end, 2);
  assert.deepEqual([...b.data()], [1, 2]);
});

Deno.test("ByteBuffer: negative commit throws RangeError", () => {
  const b = new ByteBuffer(4);
  put(b, [1, 2]);
  assert.throws(() => b.commit(-1), RangeError);
  assert.equal(b.end, 2);
});

Deno.test("ByteBuffer: consume advances start and data() shows the rest", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4]);
  b.consume(1);
  assert.equal(b.start, 1);
  assert.equal(b.length, 3);
  assert.deepEqual([...b.data()], [2, 3, 4]);
  b.consume(2);
  assert.deepEqual([...b.data()], [4]);
  b.consume(0);
  assert.deepEqual([...b.data()], [4]);
});

Deno.test("ByteBuffer: consuming everything resets start and end to 0", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4, 5]);
  b.consume(2);
  b.consume(3);
  assert.equal(b.start, 0);
  assert.equal(b.end, 0);
  assert.equal(b.length, 0);
  assert.equal(b.free().length, 8);
});

Deno.test("ByteBuffer: over-consume throws RangeError and leaves the buffer unchanged", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3]);
  b.consume(1);
  assert.throws(() => b.consume(3), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /Cannot consume 3 bytes: only 2 unread/);
    return true;
  });
  assert.equal(b.start, 1);
  assert.deepEqual([...b.data()], [2, 3]);
});

Deno.test("ByteBuffer: negative consume throws RangeError", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3]);
  assert.throws(() => b.consume(-1), RangeError);
  assert.equal(b.length, 3);
});

Deno.test("ByteBuffer: consume on an empty buffer throws", () => {
  const b = new ByteBuffer(8);
  assert.throws(() => b.consume(1), RangeError);
});

Deno.test("ByteBuffer: data() and free() are views of the backing store, not copies", () => {
  const b = new ByteBuffer(8);
  const f = b.free();
  f[0] = 42;
  b.commit(1);
  assert.equal(b.bytes[0], 42);
  b.data()[0] = 7;
  assert.equal(b.bytes[0], 7);
  assert.equal(b.data().buffer, b.bytes.buffer);
  assert.equal(b.free().buffer, b.bytes.buffer);
});

Deno.test("ByteBuffer: compact moves unread bytes to the front", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4, 5, 6]);
  b.consume(4);
  b.compact();
  assert.equal(b.start, 0);
  assert.equal(b.end, 2);
  assert.deepEqual([...b.data()], [5, 6]);
  assert.deepEqual([...b.bytes.subarray(0, 2)], [5, 6]);
  assert.equal(b.free().length, 6);
});

Deno.test("ByteBuffer: compact with start 0 is a no-op", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3]);
  const before = b.bytes;
  b.compact();
  assert.equal(b.start, 0);
  assert.equal(b.end, 3);
  assert.equal(b.bytes, before);
  assert.deepEqual([...b.data()], [1, 2, 3]);
});

Deno.test("ByteBuffer: compact of overlapping ranges keeps bytes intact", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4, 5, 6, 7, 8]);
  b.consume(2);
  b.compact();
  assert.deepEqual([...b.data()], [3, 4, 5, 6, 7, 8]);
});

Deno.test("ByteBuffer: free() compacts when the tail is full and the front has room", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4, 5, 6, 7, 8]);
  b.consume(3);
  assert.equal(b.start, 3);
  assert.equal(b.end, 8);
  const f = b.free();
  assert.equal(f.length, 3);
  assert.equal(b.start, 0);
  assert.equal(b.end, 5);
  assert.deepEqual([...b.data()], [4, 5, 6, 7, 8]);
  // The free view really is the space after the data.
  f.set([9, 10, 11]);
  b.commit(3);
  assert.deepEqual([...b.data()], [4, 5, 6, 7, 8, 9, 10, 11]);
});

Deno.test("ByteBuffer: free() does not compact while the tail has room", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4, 5]);
  b.consume(2);
  const f = b.free();
  assert.equal(f.length, 3);
  assert.equal(b.start, 2);
  assert.equal(b.end, 5);
});

Deno.test("ByteBuffer: free() on a completely full buffer is empty", () => {
  const b = new ByteBuffer(4);
  put(b, [1, 2, 3, 4]);
  assert.equal(b.free().length, 0);
  assert.equal(b.start, 0);
  assert.equal(b.end, 4);
});

Deno.test("ByteBuffer: ensure grows the store and keeps the unread bytes at the front", () => {
  const b = new ByteBuffer(4);
  put(b, [1, 2, 3, 4]);
  b.consume(1);
  const old = b.bytes;
  b.ensure(10);
  assert.notEqual(b.bytes, old);
  assert.equal(b.capacity, 10);
  assert.equal(b.start, 0);
  assert.equal(b.end, 3);
  assert.deepEqual([...b.data()], [2, 3, 4]);
  assert.equal(b.free().length, 7);
});

Deno.test("ByteBuffer: ensure with a capacity not larger than the current one is a no-op", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3]);
  b.consume(1);
  const old = b.bytes;
  b.ensure(8);
  b.ensure(2);
  assert.equal(b.bytes, old);
  assert.equal(b.capacity, 8);
  assert.equal(b.start, 1);
  assert.equal(b.end, 3);
});

Deno.test("ByteBuffer: ensure on an empty buffer", () => {
  const b = new ByteBuffer(2);
  b.ensure(5);
  assert.equal(b.capacity, 5);
  assert.equal(b.length, 0);
  assert.equal(b.free().length, 5);
});

Deno.test("ByteBuffer: clear forgets unread bytes", () => {
  const b = new ByteBuffer(8);
  put(b, [1, 2, 3, 4]);
  b.consume(1);
  b.clear();
  assert.equal(b.start, 0);
  assert.equal(b.end, 0);
  assert.equal(b.length, 0);
  assert.equal(b.free().length, 8);
  assert.equal(b.capacity, 8);
});

Deno.test("ByteBuffer: a long read/consume cycle through a small buffer preserves byte order", () => {
  const b = new ByteBuffer(7);
  const input = Array.from({ length: 200 }, (_, i) => i & 0xff);
  const out: number[] = [];
  let pos = 0;
  let step = 0;
  while (out.length < input.length) {
    const f = b.free();
    const n = Math.min(f.length, (step % 5) + 1, input.length - pos);
    f.set(input.slice(pos, pos + n));
    b.commit(n);
    pos += n;
    const take = Math.min(b.length, (step % 3) + 1);
    out.push(...b.data().subarray(0, take));
    b.consume(take);
    step++;
    if (pos === input.length) {
      out.push(...b.data());
      b.consume(b.length);
    }
  }
  assert.deepEqual(out, input);
});

Deno.test("ByteBuffer.shrink: an empty grown buffer goes back to the small size, keeping its headroom", () => {
  const b = new ByteBuffer(4096 + 512, 512);
  b.ensure(DEFAULT_BUFFER_SIZE);
  assert.equal(b.capacity, DEFAULT_BUFFER_SIZE);
  assert.equal(b.shrink(4096 + 512), true);
  assert.equal(b.capacity, 4096 + 512);
  assert.equal(b.start, 512);
  assert.equal(b.end, 512);
  assert.equal(b.free().length, 4096);
  assert.equal(b.shrink(4096 + 512), false, "already small");
});

Deno.test("ByteBuffer.shrink: a buffer holding unread bytes keeps its store", () => {
  const b = new ByteBuffer(16);
  b.ensure(64);
  put(b, [1, 2, 3]);
  const before = b.bytes;
  assert.equal(b.shrink(16), false);
  assert.equal(b.bytes, before);
  assert.deepEqual([...b.data()], [1, 2, 3]);
  b.consume(3);
  assert.equal(b.shrink(16), true);
  assert.equal(b.capacity, 16);
});

Deno.test("ByteBuffer.free: one view while the free space starts at the same place of the same store", () => {
  const b = new ByteBuffer(16);
  const first = b.free();
  assert.equal(b.free(), first); // asked again: the same view
  // the usual cycle: read into it, consume all: the next read lands in the same view
  first.set([1, 2, 3]);
  b.commit(3);
  b.consume(3);
  assert.equal(b.free(), first);
  // asked while bytes are unread: a view after them, then a fresh one at the start
  b.commit(3);
  const after = b.free();
  assert.equal(after.length, 13);
  assert.equal(after.byteOffset, 3);
  b.consume(3);
  assert.equal(b.free().byteOffset, 0);
  assert.equal(b.free().length, 16);
  b.ensure(64); // a new store: a new view over it
  const grown = b.free();
  assert.equal(grown.length, 64);
  assert.equal(grown.buffer, b.bytes.buffer);
  assert.ok(b.shrink(8));
  assert.equal(b.free().length, 8);
  assert.equal(b.free().buffer, b.bytes.buffer);
});

Deno.test("ByteBuffer.view: the last two ranges asked for answer the same views; other ranges, stores fresh ones", () => {
  const b = new ByteBuffer(16);
  const a = b.view(0, 4);
  const c = b.view(2, 8);
  assert.equal(b.view(0, 4), a);
  assert.equal(b.view(2, 8), c);
  assert.equal(c.byteOffset, 2);
  assert.equal(c.length, 6);
  const d = b.view(0, 5); // a third range: the oldest goes
  assert.notEqual(d, a);
  assert.equal(d.length, 5);
  assert.equal(b.view(2, 8), c);
  assert.notEqual(b.view(0, 4), a);
  put(b, [1, 2, 3]);
  assert.deepEqual([...b.data()], [1, 2, 3]);
  assert.equal(b.data(), b.view(0, 3));
  b.ensure(64); // a new store: no view of the old one comes back
  const e = b.data();
  assert.equal(e.buffer, b.bytes.buffer);
  assert.deepEqual([...e], [1, 2, 3]);
});
