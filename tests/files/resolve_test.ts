import assert from "node:assert/strict";
import { ProxyError } from "../../lib/errors.ts";
import { FilePathError, isServableName, notFound, resolvePath } from "../../lib/files/resolve.ts";

/** What a target resolves to: its normalized path, or the status it is refused with. */
type Outcome = string | 400 | 404;

/** [target, outcome]: an `Outcome` string is the expected `path`. */
const TABLE: [string, Outcome][] = [
  // plain paths
  ["/", "/"],
  ["/index.html", "/index.html"],
  ["/a/b/c.txt", "/a/b/c.txt"],
  ["/dir/", "/dir/"],
  ["/a+b", "/a+b"],
  ["/a;b=c,d", "/a;b=c,d"],
  ["/~user/x", "/~user/x"],
  ["/a..b", "/a..b"],
  ["/a.", "/a."],
  ["/file...", "/file..."],
  // query and fragment
  ["/a?b=../..", "/a"],
  ["/a?%00", "/a"],
  ["/a#../../etc", "/a"],
  ["/?x", "/"],
  // repeated slashes
  ["//etc/passwd", "/etc/passwd"],
  ["/a//b///c", "/a/b/c"],
  ["/a//", "/a/"],
  // raw dot segments
  ["/a/./b", "/a/b"],
  ["/a/../b", "/b"],
  ["/a/b/..", "/a/"],
  ["/a/b/.", "/a/b/"],
  ["/.", "/"],
  ["/./", "/"],
  ["/a/..", "/"],
  ["/a/b/../../c", "/c"],
  ["/a/../a/../b/./c/", "/b/c/"],
  ["/.git/../index.html", "/index.html"],
  ["/..", 400],
  ["/../etc/passwd", 400],
  ["/a/../../b", 400],
  ["/a/./../..", 400],
  ["/a/b/../../../etc/passwd", 400],
  ["//../x", 400],
  // percent-decoding
  ["/a%20b.txt", "/a b.txt"],
  ["/%E2%82%AC.txt", "/€.txt"],
  ["/%e2%82%ac.txt", "/€.txt"],
  ["/%F0%9F%98%80", "/😀"],
  ["/%41%42", "/AB"],
  ["/%2541", "/%41"],
  ["/%252e%252e/x", "/%2e%2e/x"],
  ["/%EF%BB%BFbom", "/\uFEFFbom"],
  ["/a%", 400],
  ["/a%2", 400],
  ["/a%zz", 400],
  ["/a%g0", 400],
  ["/%%30%30", 400],
  // invalid UTF-8
  ["/%c0%ae%c0%ae/", 400],
  ["/%c0%af", 400],
  ["/%e0%80%ae", 400],
  ["/%ff", 400],
  ["/%80", 400],
  ["/%e2%82", 400],
  ["/%ed%a0%80", 400],
  // encoded dot segments
  ["/%2e%2e/", 400],
  ["/%2e%2e/etc/passwd", 400],
  ["/a/%2e%2e", 400],
  ["/.%2E/x", 400],
  ["/%2E./x", 400],
  ["/%2e", 400],
  ["/a/%2e/b", 400],
  // encoded slash and backslashes
  ["/..%2f..%2fetc/passwd", 400],
  ["/a%2Fb", 400],
  ["/a%2fb", 400],
  ["/a/..%5c..%5cwindows", 400],
  ["/a%5Cb", 400],
  ["/a\\b", 400],
  ["/..\\..\\etc", 400],
  // control characters and NUL
  ["/a%00.html", 400],
  ["/a%0d%0aX-Injected:%20yes", 400],
  ["/a%09b", 400],
  ["/a%7fb", 400],
  ["/a%c2%85b", 400],
  ["/a%1b[31m", 400],
  // raw characters outside visible ASCII
  ["/a b", 400],
  ["/a\tb", 400],
  ["/a\u0000b", 400],
  ["/caf\u00e9", 400],
  ["/a\u007f", 400],
  // must start with "/"
  ["", 400],
  ["a/b", 400],
  ["*", 400],
  ["http://example.com/a", 400],
  ["?a", 400],
  // hidden files: 404
  ["/.env", 404],
  ["/.git", 404],
  ["/.git/", 404],
  ["/a/.git/config", 404],
  ["/.htaccess", 404],
  ["/a/.hidden/b.txt", 404],
  ["/%2egit/config", 404],
  ["/%2Eenv", 404],
  ["/...", 404],
  ["/a/b/../.env", 404],
  ["/.well-known/x", 404],
];

Deno.test("resolvePath: the traversal table", async (t) => {
  assert.ok(TABLE.length >= 40);
  for (const [target, outcome] of TABLE) {
    await t.step(`${JSON.stringify(target)} -> ${outcome}`, () => {
      if (typeof outcome === "string") {
        assert.equal(resolvePath(target).path, outcome);
        return;
      }
      assert.throws(() => resolvePath(target), (e: unknown) => {
        assert.ok(e instanceof FilePathError, `expected FilePathError, got ${e}`);
        assert.ok(e instanceof ProxyError);
        assert.equal(e.status, outcome);
        assert.equal(e.reason, outcome === 400 ? "bad-path" : "not-found");
        return true;
      });
    });
  }
});

Deno.test("resolvePath: segments, trailing slash, path and query", () => {
  assert.deepEqual(resolvePath("/a/b%20c.txt?x=1"), {
    kind: "ok",
    segments: ["a", "b c.txt"],
    trailingSlash: false,
    path: "/a/b c.txt",
    query: "x=1",
  });
  assert.deepEqual(resolvePath("/"), {
    kind: "ok",
    segments: [],
    trailingSlash: true,
    path: "/",
    query: "",
  });
  assert.deepEqual(resolvePath("/docs//sub/?"), {
    kind: "ok",
    segments: ["docs", "sub"],
    trailingSlash: true,
    path: "/docs/sub/",
    query: "",
  });
});

Deno.test("resolvePath: a query after a fragment marker is not a query", () => {
  assert.equal(resolvePath("/a#b?c").query, "");
  assert.equal(resolvePath("/a?b#c").query, "b");
  assert.equal(resolvePath("/a?b?c").query, "b?c");
});

Deno.test("resolvePath: dot segments at the end leave a trailing slash (RFC 3986)", () => {
  assert.equal(resolvePath("/a/b/.").trailingSlash, true);
  assert.equal(resolvePath("/a/b/..").trailingSlash, true);
  assert.equal(resolvePath("/a/b").trailingSlash, false);
  assert.deepEqual(resolvePath("/a/b/..").segments, ["a"]);
});

Deno.test("resolvePath: decoding happens once", () => {
  assert.deepEqual(resolvePath("/%2541%252F").segments, ["%41%2F"]);
});

Deno.test("resolvePath: a segment may contain '%' after decoding, and stays one segment", () => {
  const r = resolvePath("/100%25%20done/x");
  assert.deepEqual(r.segments, ["100% done", "x"]);
});

Deno.test("resolvePath: messages read 'Cannot parse path: reason'", () => {
  const cases: [string, RegExp][] = [
    ["a", /^Cannot parse path: it must start with "\/"$/],
    ["/a%zz", /^Cannot parse path: malformed percent-escape "%zz"$/],
    ["/a%", /^Cannot parse path: malformed percent-escape "%"$/],
    ["/%ff", /^Cannot parse path: not valid UTF-8 after percent-decoding$/],
    ["/..", /^Cannot parse path: "\.\." climbs above the root$/],
    ["/a%2fb", /^Cannot parse path: encoded "\/" \(%2F\) in a segment$/],
    ["/a%5cb", /^Cannot parse path: backslash in a segment$/],
    ["/a%00", /^Cannot parse path: control character in a segment$/],
    ["/%2e%2e", /^Cannot parse path: percent-encoded dot segment$/],
    ["/a b", /^Cannot parse path: character 0x20 is not visible ASCII$/],
  ];
  for (const [target, re] of cases) {
    assert.throws(() => resolvePath(target), (e: unknown) => {
      assert.ok(e instanceof FilePathError);
      assert.match(e.message, re);
      return true;
    });
  }
});

Deno.test("resolvePath: a hidden file gives the same 404 as notFound()", () => {
  let caught: unknown;
  try {
    resolvePath("/a/.env");
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof FilePathError);
  const expected = notFound("/a/.env");
  assert.equal(caught.message, expected.message);
  assert.equal(caught.status, expected.status);
  assert.equal(caught.reason, expected.reason);
  assert.equal(expected.message, "Cannot find /a/.env: no such file or directory");
});

Deno.test("resolvePath: malformed requests are refused before hidden-file checks", () => {
  assert.throws(() => resolvePath("/.git/%00"), { status: 400 });
  assert.throws(() => resolvePath("/.env/%ff"), { status: 400 });
});

Deno.test("resolvePath: a long path of many segments resolves", () => {
  const target = "/" + Array.from({ length: 500 }, (_, i) => `s${i}`).join("/");
  assert.equal(resolvePath(target).segments.length, 500);
  const up = "/" + "a/".repeat(200) + "../".repeat(200) + "x";
  assert.deepEqual(resolvePath(up).segments, ["x"]);
  assert.throws(() => resolvePath(up.replace("/x", "/../x")), { status: 400 });
});

Deno.test("isServableName: exactly the names resolvePath lets through as a last segment", () => {
  const names = [
    "a.txt",
    "a b",
    "€",
    "%41",
    "a?b",
    "a#b",
    "..a",
    ".env",
    ".",
    "..",
    "",
    "a/b",
    "a\\b",
    "a\u0000b",
    "a\nb",
    "a\u007fb",
    "a\u0085b",
  ];
  for (const name of names) {
    let reachable: boolean;
    try {
      reachable = resolvePath("/" + encodeURIComponent(name)).segments.at(-1) === name;
    } catch {
      reachable = false;
    }
    assert.equal(isServableName(name), reachable, JSON.stringify(name));
  }
});
