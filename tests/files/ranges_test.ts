import assert from "node:assert/strict";
import { httpDate } from "../../lib/files/http_date.ts";
import {
  type ByteRange,
  contentRange,
  ifRangeAllows,
  MAX_RANGES,
  parseRange,
  type RangeResult,
  unsatisfiedRange,
} from "../../lib/files/ranges.ts";

const NONE: RangeResult = { kind: "none" };
const UNSAT: RangeResult = { kind: "unsatisfiable" };

function ranges(...pairs: [number, number][]): RangeResult {
  return { kind: "ranges", ranges: pairs.map(([start, end]): ByteRange => ({ start, end })) };
}

Deno.test("parseRange: the examples of RFC 9110 section 14.1.2 (10000 bytes)", () => {
  // The first 500 bytes
  assert.deepEqual(parseRange("bytes=0-499", 10000), ranges([0, 499]));
  // The second 500 bytes
  assert.deepEqual(parseRange("bytes=500-999", 10000), ranges([500, 999]));
  // The final 500 bytes
  assert.deepEqual(parseRange("bytes=-500", 10000), ranges([9500, 9999]));
  assert.deepEqual(parseRange("bytes=9500-", 10000), ranges([9500, 9999]));
  // The first and last bytes only
  assert.deepEqual(parseRange("bytes=0-0,-1", 10000), ranges([0, 0], [9999, 9999]));
  // Other valid (but not canonical) specifications of the second 500 bytes
  assert.deepEqual(parseRange("bytes=500-600,601-999", 10000), ranges([500, 999]));
  assert.deepEqual(parseRange("bytes=500-700,601-999", 10000), ranges([500, 999]));
});

Deno.test("parseRange: absent, other units and invalid specifiers are ignored", async (t) => {
  const ignored: (string | undefined)[] = [
    undefined,
    "",
    "bytes",
    "bytes=",
    "bytes=,",
    "bytes= , ",
    "items=0-1",
    "bytes0-1",
    "=0-1",
    "bytes =0-1",
    "bytes=abc",
    "bytes=5-2", // last below first
    "bytes=0-1,5-2",
    "bytes=0-1,x",
    "bytes=-",
    "bytes=--1",
    "bytes=1--2",
    "bytes=+1-2",
    "bytes=1-+2",
    "bytes=0x10-",
    "bytes=1.5-2",
    "bytes=0 - 1",
    "bytes=0- 1",
    "bytes=-1-2",
    "bytes=1-2-3",
    "bytes=1-2;3-4",
    "bytes=\u0661-2", // a non-ASCII digit
    "bytes=0-1\r\n",
  ];
  for (const value of ignored) {
    const name = value === undefined ? "(absent)" : JSON.stringify(value);
    await t.step(name, () => assert.deepEqual(parseRange(value, 10000), NONE));
  }
});

Deno.test("parseRange: the unit is case-insensitive", () => {
  for (const unit of ["Bytes", "BYTES", "bYtEs"]) {
    assert.deepEqual(parseRange(`${unit}=0-1`, 10), ranges([0, 1]));
  }
});

Deno.test("parseRange: whitespace around range-specs and empty members", () => {
  assert.deepEqual(parseRange("  bytes=0-1  ", 10), ranges([0, 1]));
  assert.deepEqual(parseRange("bytes= 0-1", 10), ranges([0, 1]));
  assert.deepEqual(parseRange("bytes=0-1 , 5-6", 10), ranges([0, 1], [5, 6]));
  assert.deepEqual(parseRange("bytes=0-1,\t5-6\t", 10), ranges([0, 1], [5, 6]));
  assert.deepEqual(parseRange("bytes=,0-1,,5-6,", 10), ranges([0, 1], [5, 6]));
});

Deno.test("parseRange: clamping and the satisfiable ranges", () => {
  assert.deepEqual(parseRange("bytes=9999-", 10000), ranges([9999, 9999]));
  assert.deepEqual(parseRange("bytes=9000-20000", 10000), ranges([9000, 9999]));
  assert.deepEqual(parseRange("bytes=0-99999999999999999999999", 10000), ranges([0, 9999]));
  assert.deepEqual(parseRange("bytes=-20000", 10000), ranges([0, 9999]));
  assert.deepEqual(parseRange("bytes=-10000", 10000), ranges([0, 9999]));
  assert.deepEqual(parseRange("bytes=0-", 10000), ranges([0, 9999]));
  assert.deepEqual(parseRange("bytes=0000-0001", 10000), ranges([0, 1]));
  assert.deepEqual(parseRange("bytes=5-5", 10000), ranges([5, 5]));
});

Deno.test("parseRange: a range starting at or after the size is unsatisfiable (416)", () => {
  assert.deepEqual(parseRange("bytes=10000-", 10000), UNSAT);
  assert.deepEqual(parseRange("bytes=10000-10001", 10000), UNSAT);
  assert.deepEqual(parseRange("bytes=99999999999999999999-", 10000), UNSAT);
  assert.deepEqual(parseRange("bytes=-0", 10000), UNSAT);
  assert.deepEqual(parseRange("bytes=10000-,20000-", 10000), UNSAT);
  assert.deepEqual(parseRange("bytes=-0,10000-", 10000), UNSAT);
  // unsatisfiable members are dropped when another one is satisfiable
  assert.deepEqual(parseRange("bytes=10000-,0-0", 10000), ranges([0, 0]));
  assert.deepEqual(parseRange("bytes=-0,-1", 10000), ranges([9999, 9999]));
});

Deno.test("parseRange: an empty file", () => {
  assert.deepEqual(parseRange("bytes=0-", 0), UNSAT);
  assert.deepEqual(parseRange("bytes=0-0", 0), UNSAT);
  assert.deepEqual(parseRange("bytes=-0", 0), UNSAT);
  assert.deepEqual(parseRange("bytes=-1", 0), NONE); // the whole (empty) file: 200
  assert.deepEqual(parseRange("bytes=-500,0-", 0), NONE);
  assert.deepEqual(parseRange("bytes=5-2", 0), NONE);
  assert.deepEqual(parseRange(undefined, 0), NONE);
});

Deno.test("parseRange: a one-byte file", () => {
  assert.deepEqual(parseRange("bytes=0-0", 1), ranges([0, 0]));
  assert.deepEqual(parseRange("bytes=-1", 1), ranges([0, 0]));
  assert.deepEqual(parseRange("bytes=1-", 1), UNSAT);
  assert.deepEqual(parseRange("bytes=0-0,-1", 1), NONE); // two bytes asked of one
});

Deno.test("parseRange: merging keeps the order the parts were asked in", () => {
  assert.deepEqual(parseRange("bytes=-1,0-0", 10000), ranges([9999, 9999], [0, 0]));
  assert.deepEqual(
    parseRange("bytes=9000-9099,0-99,50-199", 10000),
    ranges([9000, 9099], [0, 199]),
  );
  assert.deepEqual(parseRange("bytes=0-99,200-299,100-199", 10000), ranges([0, 299]));
  assert.deepEqual(
    parseRange("bytes=300-399,0-99,101-199", 10000),
    ranges([300, 399], [0, 99], [101, 199]), // a one-byte gap is not merged
  );
  assert.deepEqual(parseRange("bytes=500-999,400-500", 10000), ranges([400, 999]));
  assert.deepEqual(parseRange("bytes=0-9,2-3", 10000), ranges([0, 9]));
});

Deno.test("parseRange: more than MAX_RANGES range-specs are ignored", () => {
  const specs = (n: number) => Array.from({ length: n }, (_, i) => `${i * 10}-${i * 10 + 1}`);
  const ok = parseRange(`bytes=${specs(MAX_RANGES).join(",")}`, 100000);
  assert.equal(ok.kind, "ranges");
  assert.equal(ok.kind === "ranges" && ok.ranges.length, MAX_RANGES);
  assert.deepEqual(parseRange(`bytes=${specs(MAX_RANGES + 1).join(",")}`, 100000), NONE);
  // empty members do not count
  assert.equal(parseRange(`bytes=${specs(MAX_RANGES).join(",,")}`, 100000).kind, "ranges");
});

Deno.test("parseRange: ranges asking for more bytes than the file has are ignored", () => {
  assert.deepEqual(parseRange("bytes=0-,0-", 10000), NONE);
  assert.deepEqual(parseRange("bytes=0-5999,4000-9999", 10000), NONE);
  assert.deepEqual(parseRange(`bytes=${Array(50).fill("0-499").join(",")}`, 10000), NONE);
  assert.deepEqual(parseRange("bytes=-6000,0-5000", 10000), NONE);
  // exactly the size is fine (and merged)
  assert.deepEqual(parseRange("bytes=0-4999,4000-8999", 10000), ranges([0, 8999]));
  assert.deepEqual(parseRange("bytes=0-4999,5000-", 10000), ranges([0, 9999]));
});

Deno.test("contentRange and unsatisfiedRange: the examples of RFC 9110 section 14.4", () => {
  assert.equal(contentRange(42, 1233, 1234), "bytes 42-1233/1234");
  assert.equal(contentRange(0, 499, 10000), "bytes 0-499/10000");
  assert.equal(unsatisfiedRange(1234), "bytes */1234");
  assert.equal(unsatisfiedRange(0), "bytes */0");
});

Deno.test("ifRangeAllows: absent allows; entity tags need a strong match", () => {
  const etag = '"6553f100-4d2"';
  const lm = 1_700_000_000_500;
  assert.equal(ifRangeAllows(undefined, etag, lm), true);
  assert.equal(ifRangeAllows(etag, etag, lm), true);
  assert.equal(ifRangeAllows(` ${etag} `, etag, lm), true);
  assert.equal(ifRangeAllows('"other"', etag, lm), false);
  assert.equal(ifRangeAllows(`W/${etag}`, etag, lm), false); // weak never matches
  assert.equal(ifRangeAllows('"x"', 'W/"x"', lm), false); // nor a weak current tag
  assert.equal(ifRangeAllows(`${etag}, "other"`, etag, lm), false); // a list is invalid
  assert.equal(ifRangeAllows('"unterminated', etag, lm), false);
  assert.equal(ifRangeAllows("*", etag, lm), false);
  assert.equal(ifRangeAllows("", etag, lm), false);
  assert.equal(ifRangeAllows("garbage", etag, lm), false);
});

Deno.test("ifRangeAllows: a date must equal Last-Modified exactly (whole seconds)", () => {
  const lm = 1_700_000_000_500;
  assert.equal(ifRangeAllows(httpDate(lm), '"x"', lm), true);
  assert.equal(ifRangeAllows("Tue, 14 Nov 2023 22:13:20 GMT", '"x"', lm), true);
  assert.equal(ifRangeAllows("Tuesday, 14-Nov-23 22:13:20 GMT", '"x"', lm), true);
  assert.equal(ifRangeAllows("Tue Nov 14 22:13:20 2023", '"x"', lm), true);
  assert.equal(ifRangeAllows(httpDate(lm + 1000), '"x"', lm), false); // later is not equal
  assert.equal(ifRangeAllows(httpDate(lm - 1000), '"x"', lm), false);
  assert.equal(ifRangeAllows("tue, 14 nov 2023 22:13:20 gmt", '"x"', lm), false);
});

Deno.test("ifRangeAllows: with the response Date, only a strong Last-Modified counts", () => {
  const lm = 1_700_000_000_500;
  const when = httpDate(lm);
  assert.equal(ifRangeAllows(when, '"x"', lm, lm + 1000), true); // a second later
  assert.equal(ifRangeAllows(when, '"x"', lm, lm + 60_000), true);
  assert.equal(ifRangeAllows(when, '"x"', lm, lm + 400), false); // the same second
  assert.equal(ifRangeAllows(when, '"x"', lm, lm - 5000), false); // a future file
  // entity tags do not depend on the Date
  assert.equal(ifRangeAllows('"x"', '"x"', lm, lm), true);
});
