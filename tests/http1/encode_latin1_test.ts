import assert from "node:assert/strict";
import { encodeLatin1 } from "../../lib/http1/forward.ts";
import { latin1 } from "../../lib/http1/parse.ts";

Deno.test("encodeLatin1: ASCII and Latin-1 heads round-trip through latin1, byte for byte", () => {
  for (
    const s of ["", "HTTP/1.1 200 OK\r\nVia: 1.1 sluice\r\n\r\n", "X: caf\u00e9 \u00ff\u0080\r\n"]
  ) {
    const b = encodeLatin1(s);
    assert.equal(b.length, s.length);
    assert.equal(latin1(b, 0, b.length), s);
  }
  assert.deepEqual([...encodeLatin1("\u00e9\u0080")], [0xe9, 0x80]);
});
