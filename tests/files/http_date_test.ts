import assert from "node:assert/strict";
import { httpDate, parseHttpDate } from "../../lib/files/http_date.ts";

/** 1994-11-06T08:49:37Z, the RFC's example. */
const EXAMPLE = 784111777000;
/** 2026-06-01T00:00:00Z, "now" for the two-digit years. */
const NOW = Date.UTC(2026, 5, 1);

Deno.test("httpDate: IMF-fixdate, milliseconds dropped", () => {
  assert.equal(httpDate(EXAMPLE), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(httpDate(EXAMPLE + 999), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(httpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  assert.equal(httpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  assert.equal(httpDate(Date.UTC(2000, 1, 29, 23, 5, 9)), "Tue, 29 Feb 2000 23:05:09 GMT");
  assert.equal(httpDate(Date.UTC(9999, 11, 31, 23, 59, 59)), "Fri, 31 Dec 9999 23:59:59 GMT");
});

Deno.test("httpDate: agrees with Date.prototype.toUTCString over many times", () => {
  let ms = 0;
  for (let i = 0; i < 2000; i++) {
    ms = (ms * 1103515245 + 12345 + i * 7919) % 4_102_444_800_000; // up to 2100
    assert.equal(httpDate(ms), new Date(Math.floor(ms / 1000) * 1000).toUTCString());
  }
});

Deno.test("httpDate: not finite or beyond four digits throws", () => {
  assert.throws(() => httpDate(NaN), RangeError);
  assert.throws(() => httpDate(Infinity), RangeError);
  assert.throws(() => httpDate(Date.UTC(10000, 0, 1)), RangeError);
  assert.throws(() => httpDate(Date.UTC(-1, 0, 1)), RangeError);
});

Deno.test("parseHttpDate: the three forms of RFC 9110 section 5.6.7", () => {
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", NOW), EXAMPLE);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), EXAMPLE);
  assert.equal(parseHttpDate("Sun Nov 06 08:49:37 1994"), EXAMPLE); // 2DIGIT day
  assert.equal(parseHttpDate("Thu Dec 31 23:59:59 2099"), Date.UTC(2099, 11, 31, 23, 59, 59));
});

Deno.test("parseHttpDate: round-trips httpDate", () => {
  for (let ms = -5e11; ms < 4e12; ms += 123_456_789_123) {
    assert.equal(parseHttpDate(httpDate(ms)), Math.floor(ms / 1000) * 1000, httpDate(ms));
  }
});

Deno.test("parseHttpDate: surrounding whitespace is fine", () => {
  assert.equal(parseHttpDate("  Sun, 06 Nov 1994 08:49:37 GMT\t"), EXAMPLE);
});

Deno.test("parseHttpDate: the day name is not checked against the date", () => {
  assert.equal(parseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT"), EXAMPLE);
});

Deno.test("parseHttpDate: invalid values give null", async (t) => {
  const bad = [
    "",
    "yesterday",
    "784111777",
    "1994-11-06T08:49:37Z",
    "sun, 06 nov 1994 08:49:37 gmt",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun,  06 Nov 1994 08:49:37 GMT",
    "Sun 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Sun, 06 November 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 06 Nov 1994 08:49 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT",
    "Sun, 31 Nov 1994 08:49:37 GMT",
    "Thu, 29 Feb 2001 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT junk",
    "Sun, 06 Nov 19944 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
    "Sun, 06-Nov-94 08:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sunday, 6-Nov-94 08:49:37 GMT",
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov  6 08:49:37 94",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sun, 06 Nov 1994 08:49:37 +0000",
    "Sun, 06 Nov 1994 08:49:37 GMT".replace("1994", "١٩٩٤"),
  ];
  for (const value of bad) {
    await t.step(JSON.stringify(value), () => assert.equal(parseHttpDate(value), null));
  }
});

Deno.test("parseHttpDate: a leap second is accepted", () => {
  assert.equal(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT"), Date.UTC(2017, 0, 1));
});

Deno.test("parseHttpDate: a two-digit year is never more than 50 years ahead", () => {
  // now is 2026-06-01: the limit is 2076-06-01
  const at = (v: string) => new Date(parseHttpDate(v, NOW)!).toISOString();
  assert.equal(at("Friday, 01-Jan-26 00:00:00 GMT"), "2026-01-01T00:00:00.000Z");
  assert.equal(at("Wednesday, 01-Jan-76 00:00:00 GMT"), "2076-01-01T00:00:00.000Z");
  assert.equal(at("Saturday, 06-Nov-76 08:49:37 GMT"), "1976-11-06T08:49:37.000Z");
  assert.equal(at("Saturday, 01-Jan-00 00:00:00 GMT"), "2000-01-01T00:00:00.000Z");
  assert.equal(at("Monday, 01-Jan-99 00:00:00 GMT"), "1999-01-01T00:00:00.000Z");
  // a leap day of a year that exists only in the chosen century
  assert.equal(at("Tuesday, 29-Feb-00 00:00:00 GMT"), "2000-02-29T00:00:00.000Z");
  // in 2090 the limit is 2140, so "30" is 2130
  const later = Date.UTC(2090, 0, 1);
  assert.equal(
    new Date(parseHttpDate("Monday, 01-Jan-30 00:00:00 GMT", later)!).toISOString(),
    "2130-01-01T00:00:00.000Z",
  );
});

Deno.test("parseHttpDate: an rfc850-date of an impossible day gives null", () => {
  assert.equal(parseHttpDate("Monday, 30-Feb-20 00:00:00 GMT", NOW), null);
  assert.equal(parseHttpDate("Monday, 29-Feb-27 00:00:00 GMT", NOW), null);
});
