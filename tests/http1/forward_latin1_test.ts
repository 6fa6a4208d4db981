/** encodeLatin1() from lib/http1/forward.ts: the encoder heads are written with. */

import assert from "node:assert/strict";
import { encodeLatin1 } from "../../lib/http1/forward.ts";
import { latin1 } from "../../lib/http1/parse.ts";

// ---------------------------------------------------------------------------
// encodeLatin1

Deno.test("encodeLatin1: round-trips with latin1() for all 256 byte values", () => {
  let s = "";
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  const b = encodeLatin1(s);
  assert.equal(b.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(b[i], i, `byte ${i}`);
  assert.equal(latin1(b, 0, b.length), s);
  const all = new Uint8Array(256).map((_, i) => 255 - i);
  assert.deepEqual(encodeLatin1(latin1(all, 0, all.length)), all);
});

Deno.test("encodeLatin1: empty string", () => {
  assert.equal(encodeLatin1("").length, 0);
});
