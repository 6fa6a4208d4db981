/** latin1() from lib/http1/parse.ts: the byte-per-code-unit decoder heads are read with. */

import assert from "node:assert/strict";
import { latin1 } from "../../lib/http1/parse.ts";
import { bin } from "./parse_helpers.ts";

Deno.test("latin1 maps every byte 0x00-0xFF to the same code unit", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const s = latin1(all, 0, 256);
  assert.equal(s.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(s.charCodeAt(i), i);
});

Deno.test("latin1 decodes only [start, end)", () => {
  const b = bin("xxcaf\xe9yy");
  assert.equal(latin1(b, 2, 6), "caf\u00e9");
  assert.equal(latin1(b, 3, 3), "");
  assert.equal(latin1(b, 0, b.length), "xxcaf\u00e9yy");
});

Deno.test("latin1 decodes inputs longer than its 8192-byte block size", () => {
  for (const n of [8191, 8192, 8193, 20001]) {
    const b = new Uint8Array(n + 3).map((_, i) => (i * 7 + 3) & 0xff);
    const s = latin1(b, 1, n + 1);
    assert.equal(s.length, n);
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) !== b[i + 1]) assert.fail(`code unit ${i} of ${n}`);
    }
  }
});
