import assert from "node:assert/strict";
import { idOfKey, idOfName, isHopByHopId, nameEquals } from "../../lib/http1/field_names.ts";
import { HOP_BY_HOP } from "../../lib/http1/headers.ts";

const enc = new TextEncoder();

function idOf(name: string): number {
  const b = enc.encode(`xx${name}yy`);
  return idOfName(b, 2, 2 + name.length);
}

Deno.test("field names: a known name has the same id from bytes in any case as from its key", () => {
  for (const key of ["host", "content-length", "transfer-encoding", "via", "x-forwarded-for"]) {
    const id = idOfKey(key);
    assert.ok(id > 0, key);
    assert.equal(idOf(key), id);
    assert.equal(idOf(key.toUpperCase()), id);
    assert.equal(idOf(key[0].toUpperCase() + key.slice(1)), id);
  }
});

Deno.test("field names: unknown names, prefixes and near misses have id 0", () => {
  for (const name of ["x-custom", "hos", "hostx", "content-lengtg", "", "Cont\u00e9nt-Length"]) {
    assert.equal(idOfKey(name.toLowerCase()), 0, name);
    assert.equal(idOf(name), 0, name);
  }
  // only A-Z fold: "[" (0x5B) | 0x20 is "{" and must not match anything
  assert.equal(idOf("[ost"), 0);
});

Deno.test("field names: the hop-by-hop ids are exactly HOP_BY_HOP's names", () => {
  for (const key of HOP_BY_HOP) assert.ok(isHopByHopId(idOfKey(key)), key);
  for (const key of ["host", "via", "content-length", "x-unknown"]) {
    assert.equal(isHopByHopId(idOfKey(key)), false, key);
  }
});

Deno.test("field names: nameEquals compares bytes case-insensitively with a lower-case key", () => {
  const b = enc.encode("X-Custom-Field");
  assert.equal(nameEquals(b, 0, b.length, "x-custom-field"), true);
  assert.equal(nameEquals(b, 0, b.length, "x-custom-fiel"), false);
  assert.equal(nameEquals(b, 0, b.length, "X-Custom-Field"), false); // keys are lower-case
  assert.equal(nameEquals(b, 2, 8, "custom"), true);
});

Deno.test("field names: every known name is found in any case; a same-length, same-initial miss is 0", () => {
  const known = [
    ...HOP_BY_HOP,
    ...["host", "transfer-encoding", "content-length", "via", "forwarded", "x-forwarded-for"],
    ...["date", "expires", "expect", "etag", "age", "accept", "accept-ranges", "cache-control"],
    ...["content-type", "content-range", "content-location", "content-encoding", "if-range"],
  ];
  for (const key of known) {
    const id = idOfKey(key);
    assert.ok(id > 0, key);
    assert.equal(idOf(key.toUpperCase()), id, key);
    assert.equal(idOf(key.replace(/./g, (c, i) => i % 2 ? c.toUpperCase() : c)), id, key);
    // the same length and first letter, one byte off at the end
    const near = key.slice(0, -1) + (key.endsWith("z") ? "y" : "z");
    assert.equal(idOf(near), 0, near);
  }
  // a name starting with a non-letter shares a bucket with a letter: still 0
  assert.equal(idOf("-ost"), 0);
  assert.equal(idOf("\x08ost"), 0);
});
