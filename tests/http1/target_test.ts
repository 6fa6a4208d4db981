import assert from "node:assert/strict";
import { ParseError } from "../../lib/errors.ts";
import { parseAbsoluteTarget, parseAuthorityTarget } from "../../lib/http1/target.ts";

/** Asserts that `fn` throws a 400 ParseError with `reason` and a message matching `msg`. */
function throwsParse(fn: () => unknown, reason: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.reason, reason);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

Deno.test("parseAbsoluteTarget: host, default port, path and authority", () => {
  assert.deepEqual(parseAbsoluteTarget("http://example.com/a/b?c=d"), {
    host: "example.com",
    port: 80,
    path: "/a/b?c=d",
    authority: "example.com",
  });
});

Deno.test("parseAbsoluteTarget: explicit port 80 is omitted from the authority", () => {
  assert.deepEqual(parseAbsoluteTarget("http://example.com:80/x"), {
    host: "example.com",
    port: 80,
    path: "/x",
    authority: "example.com",
  });
});

Deno.test("parseAbsoluteTarget: a non-default port is kept in the authority", () => {
  assert.deepEqual(parseAbsoluteTarget("http://example.com:8080/x"), {
    host: "example.com",
    port: 8080,
    path: "/x",
    authority: "example.com:8080",
  });
  assert.equal(parseAbsoluteTarget("http://a:1/").port, 1);
  assert.equal(parseAbsoluteTarget("http://a:65535/").port, 65535);
  assert.equal(parseAbsoluteTarget("http://a:443/").authority, "a:443");
});

Deno.test("parseAbsoluteTarget: IPv4 literal", () => {
  assert.deepEqual(parseAbsoluteTarget("http://127.0.0.1:3000/"), {
    host: "127.0.0.1",
    port: 3000,
    path: "/",
    authority: "127.0.0.1:3000",
  });
});

Deno.test("parseAbsoluteTarget: IPv6 literal with a port", () => {
  assert.deepEqual(parseAbsoluteTarget("http://[::1]:8000/a?b"), {
    host: "::1",
    port: 8000,
    path: "/a?b",
    authority: "[::1]:8000",
  });
});

Deno.test("parseAbsoluteTarget: IPv6 literal without a port keeps its brackets in the authority", () => {
  assert.deepEqual(parseAbsoluteTarget("http://[2001:DB8::1]/"), {
    host: "2001:db8::1",
    port: 80,
    path: "/",
    authority: "[2001:db8::1]",
  });
});

Deno.test("parseAbsoluteTarget: scheme and host are case-insensitive, the path is not", () => {
  assert.deepEqual(parseAbsoluteTarget("HTTP://EXAMPLE.Com:81/Path/To?Q=V"), {
    host: "example.com",
    port: 81,
    path: "/Path/To?Q=V",
    authority: "example.com:81",
  });
});

Deno.test("parseAbsoluteTarget: a query without a path gets a leading slash", () => {
  const t = parseAbsoluteTarget("http://example.com?q");
  assert.equal(t.path, "/?q");
  assert.equal(t.host, "example.com");
  assert.equal(parseAbsoluteTarget("http://example.com:8080?a=b&c").path, "/?a=b&c");
});

Deno.test("parseAbsoluteTarget: the fragment is dropped", () => {
  assert.equal(parseAbsoluteTarget("http://example.com/a?b#frag").path, "/a?b");
  assert.equal(parseAbsoluteTarget("http://example.com/a#frag?notquery").path, "/a");
  assert.equal(parseAbsoluteTarget("http://example.com#frag").path, "/");
  assert.equal(parseAbsoluteTarget("http://example.com#frag").host, "example.com");
});

Deno.test("parseAbsoluteTarget: an empty path becomes /", () => {
  assert.deepEqual(parseAbsoluteTarget("http://example.com"), {
    host: "example.com",
    port: 80,
    path: "/",
    authority: "example.com",
  });
  assert.equal(parseAbsoluteTarget("http://example.com:9000").path, "/");
});

Deno.test("parseAbsoluteTarget: origin-form is refused with its own reason", () => {
  throwsParse(() => parseAbsoluteTarget("/x"), "origin-form", /absolute-form/);
  throwsParse(() => parseAbsoluteTarget("/"), "origin-form");
});

Deno.test("parseAbsoluteTarget: https is refused and points to CONNECT", () => {
  throwsParse(() => parseAbsoluteTarget("https://example.com/"), "bad-target", /https.*CONNECT/);
});

Deno.test("parseAbsoluteTarget: other schemes and non-URLs are refused", () => {
  throwsParse(() => parseAbsoluteTarget("ftp://example.com/"), "bad-target", /ftp/);
  throwsParse(() => parseAbsoluteTarget("example.com:80"), "bad-target", /not an absolute URL/);
  throwsParse(() => parseAbsoluteTarget("*"), "bad-target");
});

Deno.test("parseAbsoluteTarget: user information is refused", () => {
  throwsParse(() => parseAbsoluteTarget("http://user:pw@example.com/"), "bad-target", /user/);
  throwsParse(() => parseAbsoluteTarget("http://user@example.com/"), "bad-target", /user/);
});

Deno.test("parseAbsoluteTarget: an @ in the path is not user information", () => {
  assert.equal(parseAbsoluteTarget("http://example.com/a@b").path, "/a@b");
  assert.equal(parseAbsoluteTarget("http://example.com?x=a@b").path, "/?x=a@b");
});

Deno.test("parseAbsoluteTarget: port 0 is out of range", () => {
  throwsParse(() => parseAbsoluteTarget("http://example.com:0/"), "bad-target", /port/);
});

Deno.test("parseAbsoluteTarget: port 65536 is out of range", () => {
  throwsParse(() => parseAbsoluteTarget("http://example.com:65536/"), "bad-target", /port/);
});

Deno.test("parseAbsoluteTarget: non-numeric, empty, signed or too long ports are invalid", () => {
  for (const p of ["abc", "", "-1", "+80", "123456", "8 0", "80a"]) {
    throwsParse(() => parseAbsoluteTarget(`http://example.com:${p}/`), "bad-target", /port/);
  }
});

Deno.test("parseAbsoluteTarget: a missing host is refused", () => {
  throwsParse(() => parseAbsoluteTarget("http:///path"), "bad-target", /missing host/);
  throwsParse(() => parseAbsoluteTarget("http://"), "bad-target", /missing host/);
  throwsParse(() => parseAbsoluteTarget("http://:8080/"), "bad-target", /missing host/);
  throwsParse(() => parseAbsoluteTarget("http://?q"), "bad-target", /missing host/);
});

Deno.test("parseAbsoluteTarget: an unclosed IPv6 bracket is refused", () => {
  throwsParse(() => parseAbsoluteTarget("http://[::1/"), "bad-target", /unclosed/);
  throwsParse(() => parseAbsoluteTarget("http://[::1:8080"), "bad-target", /unclosed/);
});

Deno.test("parseAbsoluteTarget: invalid IPv6 literals are refused", () => {
  throwsParse(() => parseAbsoluteTarget("http://[]/"), "bad-target", /IPv6/);
  throwsParse(() => parseAbsoluteTarget("http://[1.2.3.4]/"), "bad-target", /IPv6/);
  throwsParse(() => parseAbsoluteTarget("http://[::g]/"), "bad-target", /IPv6/);
  throwsParse(() => parseAbsoluteTarget("http://[::1]x/"), "bad-target", /port/);
});

Deno.test("parseAbsoluteTarget: invalid host characters are refused", () => {
  throwsParse(() => parseAbsoluteTarget('http://exa"mple.com/'), "bad-target", /invalid host/);
  throwsParse(() => parseAbsoluteTarget("http://a:b:80/"), "bad-target", /invalid host/);
});

Deno.test("parseAbsoluteTarget: an over-long host name is refused", () => {
  const long = "a".repeat(255);
  throwsParse(() => parseAbsoluteTarget(`http://${long}/`), "bad-target", /too long/);
  assert.equal(parseAbsoluteTarget(`http://${"a".repeat(253)}/`).host.length, 253);
});

Deno.test("parseAuthorityTarget: host:port", () => {
  assert.deepEqual(parseAuthorityTarget("example.com:443"), {
    host: "example.com",
    port: 443,
    path: "",
    authority: "example.com:443",
  });
});

Deno.test("parseAuthorityTarget: the port is always in the authority, even 80", () => {
  assert.equal(parseAuthorityTarget("Example.COM:80").authority, "example.com:80");
});

Deno.test("parseAuthorityTarget: IPv6 literal", () => {
  assert.deepEqual(parseAuthorityTarget("[::1]:443"), {
    host: "::1",
    port: 443,
    path: "",
    authority: "[::1]:443",
  });
});

Deno.test("parseAuthorityTarget: a missing port is refused", () => {
  throwsParse(() => parseAuthorityTarget("example.com"), "bad-target", /host:port/);
  throwsParse(() => parseAuthorityTarget("[::1]"), "bad-target", /host:port/);
});

Deno.test("parseAuthorityTarget: bad ports and hosts are refused", () => {
  throwsParse(() => parseAuthorityTarget("example.com:0"), "bad-target", /port/);
  throwsParse(() => parseAuthorityTarget("example.com:65536"), "bad-target", /port/);
  throwsParse(() => parseAuthorityTarget("example.com:"), "bad-target", /port/);
  throwsParse(() => parseAuthorityTarget(":443"), "bad-target", /missing host/);
  throwsParse(() => parseAuthorityTarget("[::1:443"), "bad-target", /unclosed/);
  throwsParse(() => parseAuthorityTarget("u@example.com:443"), "bad-target", /invalid host/);
});

Deno.test("trailing dot: the host loses one trailing dot, the authority (Host) keeps it", () => {
  assert.deepEqual(parseAbsoluteTarget("http://LocalHost.:8080/a"), {
    host: "localhost",
    port: 8080,
    path: "/a",
    authority: "localhost.:8080",
  });
  assert.deepEqual(parseAbsoluteTarget("http://example.com./"), {
    host: "example.com",
    port: 80,
    path: "/",
    authority: "example.com.",
  });
  assert.deepEqual(parseAuthorityTarget("example.com.:443"), {
    host: "example.com",
    port: 443,
    path: "",
    authority: "example.com.:443",
  });
  // an IPv4 literal with a trailing dot is the literal
  assert.equal(parseAbsoluteTarget("http://127.0.0.1.:9/").host, "127.0.0.1");
  assert.equal(parseAbsoluteTarget(`http://${"a".repeat(253)}./`).host.length, 253);
});

Deno.test("trailing dot: a host of dots alone or ending in two dots is refused", () => {
  for (const host of [".", "..", "a..", "localhost.."]) {
    throwsParse(() => parseAbsoluteTarget(`http://${host}:80/`), "bad-target", /invalid host/);
  }
  throwsParse(() => parseAuthorityTarget(".:443"), "bad-target", /invalid host/);
});

/** Raw request targets of one loopback address, as a client may spell them (curl rewrites some). */
const SPELLINGS: [string, string][] = [
  ["http://127.0.0.1:9/", "127.0.0.1"],
  ["http://127.0.0.1.:9/", "127.0.0.1"],
  ["http://0.0.0.0:9/", "0.0.0.0"],
  ["http://127.1:9/", "127.1"],
  ["http://2130706433:9/", "2130706433"],
  ["http://0x7f000001:9/", "0x7f000001"],
  ["http://0177.0.0.1:9/", "0177.0.0.1"],
  ["http://0:9/", "0"],
  ["http://LOCALHOST.:9/", "localhost"],
  ["http://[::ffff:127.0.0.1]:9/", "::ffff:127.0.0.1"],
  ["http://[::FFFF:7F00:1]:9/", "::ffff:7f00:1"],
  ["http://[::]:9/", "::"],
  ["http://[0:0:0:0:0:0:0:1]:9/", "0:0:0:0:0:0:0:1"],
];

Deno.test("spellings: every loopback spelling parses to the host the rules and resolver see", () => {
  for (const [raw, host] of SPELLINGS) {
    const t = parseAbsoluteTarget(raw);
    assert.equal(t.host, host, raw);
    assert.equal(t.port, 9, raw);
    assert.equal(parseAuthorityTarget(raw.slice(7, -1)).host, host, raw);
  }
});
