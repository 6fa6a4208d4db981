import assert from "node:assert/strict";
import {
  evaluatePreconditions,
  httpDate,
  makeEtag,
  parseHttpDate,
  type Preconditions,
} from "../../lib/files/conditional.ts";

/** Modified at 2023-11-14T22:13:20.500Z: half a second past the second sent as Last-Modified. */
const LM = 1_700_000_000_500;
const V = { etag: '"abc"', lastModifiedMs: LM };
const SAME = httpDate(LM); // Tue, 14 Nov 2023 22:13:20 GMT
const BEFORE = httpDate(LM - 1000);
const AFTER = httpDate(LM + 1000);

function check(method: string, h: Preconditions, expected: "proceed" | 304 | 412, v = V): void {
  assert.equal(evaluatePreconditions(method, h, v), expected, `${method} ${JSON.stringify(h)}`);
}

Deno.test("conditional.ts re-exports makeEtag, httpDate and parseHttpDate", () => {
  assert.equal(makeEtag(1, 1000), '"1-1"');
  assert.equal(parseHttpDate(SAME), 1_700_000_000_000);
});

Deno.test("evaluatePreconditions: no preconditions proceed, whatever the method", () => {
  for (const m of ["GET", "HEAD", "POST", "PUT", "DELETE"]) check(m, {}, "proceed");
});

Deno.test("step 1, If-Match: strong comparison, '*', lists, junk", () => {
  check("GET", { ifMatch: '"abc"' }, "proceed");
  check("GET", { ifMatch: '"x"' }, 412);
  check("PUT", { ifMatch: '"x"' }, 412);
  check("GET", { ifMatch: '"x", "abc"' }, "proceed");
  check("GET", { ifMatch: '"x","y" , "abc"' }, "proceed");
  check("GET", { ifMatch: 'W/"abc"' }, 412); // weak never matches strongly
  check("GET", { ifMatch: '"abc"' }, 412, { ...V, etag: 'W/"abc"' }); // nor does a weak current tag
  check("GET", { ifMatch: "*" }, "proceed");
  check("DELETE", { ifMatch: " * " }, "proceed");
  check("GET", { ifMatch: "abc" }, 412); // not an entity tag
  check("GET", { ifMatch: '"abc' }, 412);
  check("GET", { ifMatch: "" }, 412); // present but empty: no tag matches
  check("GET", { ifMatch: 'junk, "abc"' }, "proceed"); // junk members are skipped
  check("GET", { ifMatch: '"ABC"' }, 412); // opaque tags are case-sensitive
});

Deno.test("step 2, If-Unmodified-Since: only without If-Match, whole seconds", () => {
  check("GET", { ifUnmodifiedSince: SAME }, "proceed"); // .500 is not after :20
  check("GET", { ifUnmodifiedSince: AFTER }, "proceed");
  check("GET", { ifUnmodifiedSince: BEFORE }, 412);
  check("PUT", { ifUnmodifiedSince: BEFORE }, 412);
  check("GET", { ifUnmodifiedSince: "not a date" }, "proceed"); // invalid: ignored
  check("GET", { ifUnmodifiedSince: `${BEFORE}, ${BEFORE}` }, "proceed"); // a list: ignored
  check("GET", { ifUnmodifiedSince: "" }, "proceed");
  // If-Match present (and true): If-Unmodified-Since is not evaluated
  check("GET", { ifMatch: '"abc"', ifUnmodifiedSince: BEFORE }, "proceed");
  check("GET", { ifMatch: "*", ifUnmodifiedSince: BEFORE }, "proceed");
  // obsolete date forms count too
  check("GET", { ifUnmodifiedSince: "Tuesday, 14-Nov-23 22:13:19 GMT" }, 412);
  check("GET", { ifUnmodifiedSince: "Tue Nov 14 22:13:20 2023" }, "proceed");
});

Deno.test("step 3, If-None-Match: weak comparison, 304 for GET/HEAD, 412 otherwise", () => {
  check("GET", { ifNoneMatch: '"abc"' }, 304);
  check("HEAD", { ifNoneMatch: '"abc"' }, 304);
  check("POST", { ifNoneMatch: '"abc"' }, 412);
  check("PUT", { ifNoneMatch: '"abc"' }, 412);
  check("DELETE", { ifNoneMatch: '"abc"' }, 412);
  check("GET", { ifNoneMatch: 'W/"abc"' }, 304); // weak comparison
  check("GET", { ifNoneMatch: '"abc"' }, 304, { ...V, etag: 'W/"abc"' });
  check("GET", { ifNoneMatch: '"x"' }, "proceed");
  check("GET", { ifNoneMatch: '"x", W/"abc"' }, 304);
  check("GET", { ifNoneMatch: "*" }, 304);
  check("PUT", { ifNoneMatch: "*" }, 412);
  check("GET", { ifNoneMatch: "abc" }, "proceed"); // junk never matches
  check("GET", { ifNoneMatch: "" }, "proceed");
  check("GET", { ifNoneMatch: '"ab"' }, "proceed");
  check("get", { ifNoneMatch: '"abc"' }, 412); // methods are case-sensitive
});

Deno.test("step 4, If-Modified-Since: GET/HEAD only, only without If-None-Match", () => {
  check("GET", { ifModifiedSince: SAME }, 304); // .500 truncated: not modified since :20
  check("HEAD", { ifModifiedSince: SAME }, 304);
  check("GET", { ifModifiedSince: AFTER }, 304);
  check("GET", { ifModifiedSince: BEFORE }, "proceed");
  check("POST", { ifModifiedSince: SAME }, "proceed");
  check("PUT", { ifModifiedSince: AFTER }, "proceed");
  check("GET", { ifModifiedSince: "garbage" }, "proceed");
  check("GET", { ifModifiedSince: `${SAME}, ${SAME}` }, "proceed");
  check("GET", { ifModifiedSince: SAME.toLowerCase() }, "proceed");
  check("GET", { ifModifiedSince: "Tuesday, 14-Nov-23 22:13:20 GMT" }, 304);
  check("GET", { ifModifiedSince: "Tue Nov 14 22:13:20 2023" }, 304);
  // If-None-Match present: If-Modified-Since is not evaluated, either way
  check("GET", { ifNoneMatch: '"x"', ifModifiedSince: SAME }, "proceed");
  check("GET", { ifNoneMatch: "", ifModifiedSince: AFTER }, "proceed");
  check("GET", { ifNoneMatch: '"abc"', ifModifiedSince: BEFORE }, 304);
});

Deno.test("the order of section 13.2.2: 412 from step 1 or 2 wins over 304", () => {
  check("GET", { ifMatch: '"x"', ifNoneMatch: '"abc"' }, 412);
  check("GET", { ifMatch: '"x"', ifModifiedSince: SAME }, 412);
  check("GET", { ifUnmodifiedSince: BEFORE, ifNoneMatch: '"abc"' }, 412);
  check("GET", { ifUnmodifiedSince: BEFORE, ifModifiedSince: SAME }, 412);
  // all true up to step 3
  check("GET", { ifMatch: '"abc"', ifNoneMatch: '"abc"' }, 304);
  check("GET", { ifUnmodifiedSince: SAME, ifNoneMatch: "*" }, 304);
  check("GET", { ifUnmodifiedSince: AFTER, ifModifiedSince: SAME }, 304);
  check("PUT", { ifMatch: "*", ifNoneMatch: "*" }, 412);
  check("GET", {
    ifMatch: '"abc"',
    ifUnmodifiedSince: BEFORE, // skipped: If-Match is there
    ifNoneMatch: '"x"',
    ifModifiedSince: SAME, // skipped: If-None-Match is there
  }, "proceed");
});

Deno.test("evaluatePreconditions: a current tag that is not an entity tag matches only '*'", () => {
  const v = { etag: "bogus", lastModifiedMs: LM };
  check("GET", { ifMatch: '"bogus"' }, 412, v);
  check("GET", { ifMatch: "*" }, "proceed", v);
  check("GET", { ifNoneMatch: '"bogus"' }, "proceed", v);
  check("GET", { ifNoneMatch: "*" }, 304, v);
});

Deno.test("evaluatePreconditions: the validators of makeEtag and httpDate round-trip", () => {
  const mtime = 1_650_000_123_456;
  const v = { etag: makeEtag(4096, mtime), lastModifiedMs: mtime };
  check("GET", { ifNoneMatch: v.etag }, 304, v);
  check("GET", { ifModifiedSince: httpDate(mtime) }, 304, v);
  check("GET", { ifMatch: v.etag, ifUnmodifiedSince: httpDate(mtime) }, "proceed", v);
  const changed = { etag: makeEtag(4097, mtime), lastModifiedMs: mtime };
  check("GET", { ifNoneMatch: v.etag }, "proceed", changed);
  check("GET", { ifMatch: v.etag }, 412, changed);
});
