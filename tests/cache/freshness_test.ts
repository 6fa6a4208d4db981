import assert from "node:assert/strict";
import {
  currentAge,
  freshnessLifetime,
  isFresh,
  parseAge,
  parseDateLenient,
} from "../../lib/cache/freshness.ts";
import { at, entry, type Field, headers } from "./helpers.ts";

Deno.test("parseAge: first member of the first line, digits only (age-parse-*)", () => {
  const table: [Field[], number, string][] = [
    [[["Age", "abc"]], 0, "age-parse-nonnumeric"],
    [[["Age", "-7200"]], 0, "age-parse-negative"],
    [[["Age", "7200.0"]], 0, "age-parse-float"],
    [[["Age", "2147483647"]], 2147483647, "age-parse-large-minus-one"],
    [[["Age", "2147483648"]], 2147483648, "age-parse-large"],
    [[["Age", "2147483649"]], 2147483648, "age-parse-larger"],
    [[["Age", "7200, 0"]], 7200, "age-parse-suffix"],
    [[["Age", "0, 7200"]], 0, "age-parse-prefix"],
    [[["Age", "7200"], ["Age", "0"]], 7200, "age-parse-suffix-twoline"],
    [[["Age", "0"], ["Age", "7200"]], 0, "age-parse-prefix-twoline"],
    [[["Age", "0, 0"]], 0, "age-parse-dup-0"],
    [[["Age", "3600"], ["Age", "3600"]], 3600, "age-parse-dup-old"],
    [[["Age", "7200;foo=bar"]], 0, "age-parse-parameter (ignored)"],
    [[], 0, "absent"],
  ];
  for (const [fields, want, id] of table) assert.equal(parseAge(headers(...fields)), want, id);
});

Deno.test("age-parse: max-age=3600 with Date now is fresh or stale by Age", () => {
  const cases: [string[], boolean, string][] = [
    [["abc"], true, "age-parse-nonnumeric"],
    [["7200.0"], true, "age-parse-float"],
    [["2147483647"], false, "age-parse-large-minus-one"],
    [["2147483649"], false, "age-parse-larger"],
    [["7200, 0"], false, "age-parse-suffix"],
    [["0, 7200"], true, "age-parse-prefix"],
    [["7200", "0"], false, "age-parse-suffix-twoline"],
    [["0", "7200"], true, "age-parse-prefix-twoline"],
  ];
  for (const [ages, fresh, id] of cases) {
    const e = entry([
      ["Date", 0],
      ["Cache-Control", "max-age=3600"],
      ...ages.map((a): Field => ["Age", a]),
    ]);
    assert.equal(isFresh(e, at(3)), fresh, id);
  }
});

Deno.test("parseDateLenient: the three formats, wrong case accepted, other faults not (expires-parse)", () => {
  const ok = Date.UTC(2050, 7, 18, 2, 1, 18);
  const now = Date.UTC(2024, 0, 1);
  const good = [
    "Thu, 18 Aug 2050 02:01:18 GMT",
    "Thursday, 18-Aug-50 02:01:18 GMT", // freshness-expires-rfc850
    "Thu Aug 18 02:01:18 2050", // asctime
    "THU, 18 Aug 2050 02:01:18 GMT", // freshness-expires-wrong-case-weekday
    "Thu, 18 AUG 2050 02:01:18 GMT", // freshness-expires-wrong-case-month
    "Thu, 18 Aug 2050 02:01:18 gMT", // freshness-expires-wrong-case-tz
  ];
  for (const v of good) assert.equal(parseDateLenient(v, now), ok, v);
  assert.equal(parseDateLenient("Tue, 19 Jan 2038 14:14:08 GMT"), Date.UTC(2038, 0, 19, 14, 14, 8));
  assert.equal(
    parseDateLenient("Sun, 21 Nov 2286 04:46:39 GMT"),
    Date.UTC(2286, 10, 21, 4, 46, 39),
  );
  const bad = [
    "Thu, 18 Aug 2050 02:01:18 UTC", // freshness-expires-invalid-utc
    "Thu, 18 Aug 2050 02:01:18 AEST",
    "Thu, 18 Aug 50 02:01:18 GMT", // invalid-2-digit-year
    "Thu 18 Aug 2050 02:01:18 GMT", // invalid-no-comma
    "Thu, 18  Aug  2050 02:01:18 GMT", // invalid-multiple-spaces
    "Thu, 18-Aug-2050 02:01:18 GMT", // invalid-date-dashes
    "Thu, 18 Aug 2050 02.01.18 GMT", // invalid-time-periods
    "Thu, 18 Aug 2050 2:01:18 GMT", // invalid-1-digit-hour
    "0", // freshness-expires-invalid
  ];
  for (const v of bad) assert.equal(parseDateLenient(v, now), null, v);
});

Deno.test("freshnessLifetime: s-maxage > max-age > Expires > heuristic", () => {
  const table: [Field[], number, string][] = [
    [
      [["Cache-Control", "max-age=3600, s-maxage=1"]],
      1,
      "freshness-max-age-s-maxage-shared-longer",
    ],
    [
      [["Cache-Control", "max-age=1, s-maxage=3600"]],
      3600,
      "freshness-max-age-s-maxage-shared-shorter",
    ],
    [
      [["Expires", -10], ["Cache-Control", "max-age=0, s-maxage=3600"]],
      3600,
      "...-shorter-expires",
    ],
    [
      [["Cache-Control", "max-age=3600"], ["Expires", -7200], ["Date", 0]],
      3600,
      "freshness-max-age-expires",
    ],
    [
      [["Cache-Control", "max-age=3600"], ["Expires", "0"], ["Date", 0]],
      3600,
      "freshness-max-age-expires-invalid",
    ],
    [
      [["Expires", 3600], ["Cache-Control", "max-age=0"], ["Date", 0]],
      0,
      "freshness-max-age-0-expires",
    ],
    [[["Expires", 30 * 86400], ["Date", 0]], 30 * 86400, "freshness-expires-future"],
    [[["Expires", -30 * 86400], ["Date", 0]], 0, "freshness-expires-past"],
    [[["Expires", 0], ["Date", 0]], 0, "freshness-expires-present"],
    [[["Expires", 300], ["Date", 400]], 0, "freshness-expires-old-date"],
    [[["Expires", "0"], ["Date", 0]], 0, "freshness-expires-invalid"],
    [
      [["Expires", 10], ["Expires", 20], ["Date", 0]],
      0,
      "freshness-expires-invalid-multiple-lines",
    ],
    [
      [["Expires", "Thu, 18 AUG 2050 02:01:18 GMT"], ["Date", 0]],
      (Date.UTC(2050, 7, 18, 2, 1, 18) - at(0)) / 1000,
      "wrong-case-month",
    ],
    [[["Last-Modified", -86400], ["Date", 0]], 8640, "heuristic-200-cached: 10% of a day"],
    [[["Last-Modified", -100 * 86400], ["Date", 0]], 86400, "heuristic capped at a day"],
    [[["Last-Modified", 10], ["Date", 0]], 0, "Last-Modified after Date"],
    [[["Date", 0]], 0, "freshness-none"],
  ];
  for (const [fields, want, id] of table) assert.equal(freshnessLifetime(entry(fields)), want, id);
  assert.equal(
    freshnessLifetime(entry([["Last-Modified", -86400], ["Date", 0]]), { maxHeuristicSeconds: 60 }),
    60,
  );
});

Deno.test("freshnessLifetime: invalid Date counts from the response time (freshness-expires-invalid-date)", () => {
  const e = entry([["Date", "foo"], ["Expires", 10]]);
  assert.equal(freshnessLifetime(e), 10);
  assert.equal(isFresh(e, at(1)), true);
});

Deno.test("heuristics only for heuristically cacheable statuses or public (heuristic-*)", () => {
  const lm: Field[] = [["Last-Modified", -86400], ["Date", 0]];
  for (const s of [200, 203, 204, 404, 405, 410, 414, 501]) {
    assert.equal(freshnessLifetime(entry(lm, { status: s })), 8640, `heuristic-${s}-cached`);
  }
  for (const s of [201, 202, 403, 502, 503, 504, 599]) {
    assert.equal(freshnessLifetime(entry(lm, { status: s })), 0, `heuristic-${s}-not_cached`);
  }
  const pub = entry([...lm, ["Cache-Control", "public"]], { status: 599 });
  assert.equal(freshnessLifetime(pub), 8640, "heuristic-599-cached with public");
});

Deno.test("currentAge: apparent age, Age plus response delay, resident time", () => {
  // freshness-max-age-date: Date two hours before receipt
  const old = entry([["Date", -7200], ["Cache-Control", "max-age=3600"]]);
  assert.equal(currentAge(old, at(0)), 7200);
  assert.equal(isFresh(old, at(0)), false);
  // other-age-update-max-age: Age 30 grows with resident time
  const aged = entry([["Date", 0], ["Cache-Control", "max-age=100000"], ["Age", "30"]]);
  assert.equal(currentAge(aged, at(3)), 33);
  // response delay is added to Age
  const e = {
    ...entry([["Age", "10"], ["Date", 0]]),
    requestTime: at(-2),
  };
  assert.equal(currentAge(e, at(0)), 12);
  // a Date in the future gives no negative age
  assert.equal(currentAge(entry([["Date", 400]]), at(0)), 0);
});

Deno.test("Expires minus Date with Age (freshness-expires-age-slow-date / fast-date)", () => {
  const slow = entry([["Date", -10], ["Expires", 10], ["Age", "25"]]);
  assert.equal(isFresh(slow, at(0)), false);
  const fast = entry([["Date", 10], ["Expires", 20], ["Age", "15"]]);
  assert.equal(isFresh(fast, at(0)), false);
  const ok = entry([["Date", -10], ["Expires", 10], ["Age", "5"]]);
  assert.equal(isFresh(ok, at(0)), true);
});

Deno.test("freshness-max-age-stale: fresh until max-age elapses", () => {
  const e = entry([["Cache-Control", "max-age=2"], ["Date", 0]]);
  assert.equal(isFresh(e, at(1.9)), true);
  assert.equal(isFresh(e, at(2)), false);
  assert.equal(isFresh(entry([["Cache-Control", "max-age=0"]]), at(0)), false);
});
