import assert from "node:assert/strict";
import { keepBytes } from "../../lib/http1/field_slab.ts";

Deno.test("keepBytes: a copy that outlives the source; small ones share a slab, large ones do not", () => {
  const src = new Uint8Array(10_000).map((_, i) => i % 251);
  const a = keepBytes(src, 10, 110);
  const b = keepBytes(src, 200, 300);
  const big = keepBytes(src, 0, 5000);
  const expectA = src.slice(10, 110);
  src.fill(0);
  assert.deepEqual(a, expectA);
  assert.equal(b.length, 100);
  assert.equal(a.buffer, b.buffer, "small blocks are carved from one slab");
  assert.notEqual(big.buffer, a.buffer, "a block over 4 KiB gets its own array");
  assert.equal(big.byteLength, big.buffer.byteLength);
});

Deno.test("keepBytes: pieces never overlap, across slab boundaries", () => {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const src = new Uint8Array(300).fill(i % 256);
    pieces.push(keepBytes(src, 0, 1 + (i % 299))); // short ones copied by a loop, longer by set
  }
  pieces.forEach((p, i) => assert.ok(p.every((x) => x === i % 256), `piece ${i}`));
});
