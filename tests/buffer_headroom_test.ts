import assert from "node:assert/strict";
import { ByteBuffer } from "../lib/buffer.ts";

Deno.test("ByteBuffer headroom: empty, cleared and compacted buffers start after the headroom", () => {
  const b = new ByteBuffer(32, 8);
  assert.equal(b.start, 8);
  b.free().set([1, 2, 3, 4]);
  b.commit(4);
  b.consume(4);
  assert.equal(b.start, 8, "emptied by consume");
  b.free().set([5, 6]);
  b.commit(2);
  b.consume(1);
  b.compact();
  assert.deepEqual([b.start, b.end], [8, 9]);
  b.clear();
  assert.deepEqual([b.start, b.end], [8, 8]);
});

Deno.test("ByteBuffer.prepend puts bytes before the data when they fit, and refuses otherwise", () => {
  const b = new ByteBuffer(32, 4);
  b.free().set([9, 9]);
  b.commit(2);
  assert.ok(b.prepend(new Uint8Array([1, 2, 3])));
  assert.deepEqual([...b.data()], [1, 2, 3, 9, 9]);
  assert.equal(b.prepend(new Uint8Array([7, 7])), false, "only 1 byte of room left");
  assert.deepEqual([...b.data()], [1, 2, 3, 9, 9]);
});

Deno.test("ByteBuffer.ensure keeps the headroom", () => {
  const b = new ByteBuffer(8, 2);
  b.free().set([1, 2, 3]);
  b.commit(3);
  b.ensure(64);
  assert.equal(b.start, 2);
  assert.deepEqual([...b.data()], [1, 2, 3]);
});
