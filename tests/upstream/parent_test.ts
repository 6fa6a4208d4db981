/**
 * The parent proxy, sans-io (lib/upstream/parent.ts): `--parent` URLs parsed
 * into a {@linkcode Parent} whose password only the `Proxy-Authorization`
 * value carries (checked by decoding it with sluice's own Basic parser),
 * refusals worded without the password, {@linkcode redact}, and which
 * destinations `--no-parent` patterns send direct.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseBasicCredentials } from "../../lib/policy/credentials.ts";
import { RuleError } from "../../lib/policy/rule.ts";
import { ParentError, ParentRoute, parseParent, redact } from "../../lib/upstream/parent.ts";

/** The error `fn` throws; fails when it throws none. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  throw new assert.AssertionError({ message: "expected an error" });
}

// ---------------------------------------------------------------------------
// parseParent

Deno.test("parseParent: host and port, no credentials", () => {
  const p = parseParent("http://proxy.campus.example:3128");
  assert.equal(p.host, "proxy.campus.example");
  assert.equal(p.port, 3128);
  assert.equal(p.authority, "proxy.campus.example:3128");
  assert.equal(p.user, null);
  assert.equal(p.authorization, null);
  assert.equal(p.display, "http://proxy.campus.example:3128");
  assert.equal(String(p), "http://proxy.campus.example:3128");
});

Deno.test("parseParent: spellings of the host (case, trailing dot, /, IPv4, IPv6, scheme case)", () => {
  const cases: [string, string, number, string][] = [
    ["http://Proxy.Example:8080/", "proxy.example", 8080, "proxy.example:8080"],
    ["HTTP://proxy.example.:80", "proxy.example", 80, "proxy.example:80"],
    ["http://127.0.0.1:3128", "127.0.0.1", 3128, "127.0.0.1:3128"],
    ["http://[::1]:3128", "::1", 3128, "[::1]:3128"],
    ["http://[FD00::A]:3128/", "fd00::a", 3128, "[fd00::a]:3128"],
    ["http://proxy_1.lab:3128", "proxy_1.lab", 3128, "proxy_1.lab:3128"],
  ];
  for (const [url, host, port, authority] of cases) {
    const p = parseParent(url);
    assert.deepEqual([p.host, p.port, p.authority], [host, port, authority], url);
  }
});

Deno.test("parseParent: credentials become Basic (percent-decoded, UTF-8), read back by sluice's own parser", () => {
  const cases: [string, string, string][] = [
    ["http://alice:secret@127.0.0.1:3128", "alice", "secret"],
    ["http://a%40b:p%3Aw%2F%40@proxy:8080", "a@b", "p:w/@"],
    ["http://alice:pa:ss@proxy:8080", "alice", "pa:ss"], // the first ":" splits
    ["http://alice:p@ss@proxy:8080", "alice", "p@ss"], // the last "@" ends the userinfo
    ["http://alice:correct%20horse@proxy:8080", "alice", "correct horse"],
    ["http://j%C3%BCrgen:gr%C3%BC%C3%9F@proxy:8080", "jürgen", "grüß"],
    ["http://alice@proxy:8080", "alice", ""],
    ["http://alice:@proxy:8080", "alice", ""],
  ];
  for (const [url, user, password] of cases) {
    const p = parseParent(url);
    assert.equal(p.user, user, url);
    assert.ok(p.authorization?.startsWith("Basic "), url);
    assert.deepEqual(parseBasicCredentials(p.authorization!), { user, password }, url);
  }
  assert.equal(parseParent("http://alice:secret@h:1").authorization, "Basic YWxpY2U6c2VjcmV0");
});

Deno.test("parseParent: the password is in no field, string, JSON or inspection of the parent", () => {
  const p = parseParent("http://alice:s3cr%65t@proxy.example:3128");
  const auth = p.authorization!;
  assert.equal(p.display, "http://alice:***@proxy.example:3128");
  assert.equal(String(p), p.display);
  assert.equal(`${p}`, p.display);
  const shown = [
    String(p),
    JSON.stringify(p),
    JSON.stringify({ parent: p }),
    Deno.inspect(p),
    Deno.inspect({ parent: p }, { depth: 5, showHidden: true }),
    JSON.stringify(Object.values(p)),
    Object.keys(p).join(","),
  ];
  for (const s of shown) {
    for (const secret of ["s3cret", "s3cr%65t", auth, auth.slice(6)]) {
      assert.ok(!s.includes(secret), `${JSON.stringify(secret)} shown in ${s}`);
    }
  }
  assert.equal(Deno.inspect(p), "Parent(http://alice:***@proxy.example:3128)");
  assert.deepEqual(JSON.parse(JSON.stringify(p)), {
    host: "proxy.example",
    port: 3128,
    user: "alice",
    display: "http://alice:***@proxy.example:3128",
  });
  // a user name that needs encoding is shown encoded
  assert.equal(parseParent("http://a%20b:x@h:1").display, "http://a%20b:***@h:1");
});

Deno.test("parseParent: refusals name the flag and why, never the password", () => {
  const cases: [string, string][] = [
    ["https://x", "only http:// parents (sluice does not speak TLS to a parent)"],
    ["https://alice:secret@x:443", "only http:// parents (sluice does not speak TLS to a parent)"],
    ["socks5://x:1080", "only http:// parents"],
    ["proxy:3128", "not a URL; write it as http://proxy:3128"],
    ["alice:secret@proxy:3128", "not a URL; write it as http://alice:***@proxy:3128"],
    ["", "empty URL; write http://host:port"],
    ["http://", "missing host; write http://host:port"],
    ["http://alice:secret@", "missing host; write http://host:port"],
    ["http://proxy", "missing port; write e.g. http://proxy:3128 (a proxy has no default port)"],
    ["http://[::1]", "missing port; write e.g. http://[::1]:3128 (a proxy has no default port)"],
    ["http://::1:3128", "an IPv6 address needs brackets, e.g. http://[::1]:3128"],
    ["http://proxy:0", "port out of range"],
    ["http://proxy:65536", "port out of range"],
    ["http://proxy:31x", "invalid port"],
    ["http://proxy:", "invalid port"],
    [
      "http://pro xy:3128",
      "spaces or control characters in the URL (percent-encode them: a space is %20)",
    ],
    ["http://proxy:3128/path", "a parent URL has no path"],
    ["http://proxy:3128/?q", "a parent URL has no query or fragment"],
    ["http://proxy:3128#f", "a parent URL has no query or fragment"],
    ["http://pr<oxy:3128", "invalid host"],
    ["http://[::1:3128", "unclosed IPv6 literal"],
    ["http://alice:secret%zz@proxy:3128", "bad percent-encoding in the password"],
    ["http://al%zzice:secret@proxy:3128", "bad percent-encoding in the user name"],
    ["http://:secret@proxy:3128", "empty user name"],
    ["http://a%3Ab:secret@proxy:3128", 'a user name cannot contain ":" (Basic authentication)'],
    ["http://alice:sec%0Aret@proxy:3128", "control characters in the user name or password"],
    [
      "http://alice:***@proxy:3128",
      'the password is "***", as messages show it: give the real password',
    ],
  ];
  for (const [url, why] of cases) {
    const err = thrown(() => parseParent(url));
    assert.ok(err instanceof ParentError, url);
    assert.equal(err.message, `Cannot use --parent "${redact(url)}": ${why}`, url);
    assert.ok(!err.message.includes("secret"), err.message);
  }
  assert.equal(
    thrown(() => parseParent("https://x")).message,
    'Cannot use --parent "https://x": only http:// parents (sluice does not speak TLS to a parent)',
  );
});

// ---------------------------------------------------------------------------
// redact

Deno.test("redact: the password goes, everything else stays, parseable or not", () => {
  const cases: [string, string][] = [
    ["http://alice:secret@proxy:3128", "http://alice:***@proxy:3128"],
    ["http://alice:secret@proxy:3128/", "http://alice:***@proxy:3128/"],
    ["http://alice@proxy:3128", "http://alice@proxy:3128"],
    ["http://alice:@proxy:3128", "http://alice:***@proxy:3128"],
    ["http://proxy:3128", "http://proxy:3128"],
    ["http://alice:p@ss@proxy:3128", "http://alice:***@proxy:3128"],
    ["http://alice:se/cr?e#t@proxy:3128", "http://alice:***@proxy:3128"],
    ["alice:secret@proxy:3128", "alice:***@proxy:3128"],
    ["https://alice:secret@x", "https://alice:***@x"],
    ["not a url", "not a url"],
    ["", ""],
  ];
  for (const [url, shown] of cases) assert.equal(redact(url), shown, url);
});

// ---------------------------------------------------------------------------
// ParentRoute

const PARENT = parseParent("http://proxy.campus.example:3128");

Deno.test("ParentRoute: without --no-parent everything goes through the parent; without a parent nothing", () => {
  const route = new ParentRoute(PARENT);
  assert.equal(route.parent, PARENT);
  for (const [host, port] of [["example.com", 80], ["127.0.0.1", 8080], ["::1", 443]] as const) {
    assert.equal(route.useParent(host, port), true, host);
  }
  const none = new ParentRoute(null, ["example.com"]);
  assert.equal(none.parent, null);
  assert.equal(none.useParent("example.org", 80), false);
});

Deno.test("ParentRoute: --no-parent names, wildcards, ranges and ports go direct (no_proxy)", () => {
  const route = new ParentRoute(PARENT, [
    "localhost",
    "*.campus.example",
    "10.0.0.0/8",
    "[fd00::]/8",
    "intranet.example:8080",
  ]);
  const cases: [string, number, boolean][] = [
    ["localhost", 80, false],
    ["LOCALHOST.", 80, false],
    ["www.campus.example", 443, false],
    ["a.b.campus.example", 80, false],
    ["campus.example", 80, true], // a wildcard does not match the apex
    ["notcampus.example", 80, true],
    ["10.1.2.3", 22, false],
    ["11.1.2.3", 22, true],
    ["fd00::1", 80, false],
    ["[fd00::1]", 80, false],
    ["fe80::1", 80, true],
    ["intranet.example", 8080, false],
    ["intranet.example", 80, true], // the pattern's port only
    ["example.com", 443, true],
    // a range never makes a name resolve: it goes to the parent
    ["ten.example", 80, true],
  ];
  for (const [host, port, parent] of cases) {
    assert.equal(route.useParent(host, port), parent, `${host}:${port}`);
  }
});

Deno.test("ParentRoute: --no-parent 127.0.0.1 covers the spellings of loopback the destination rules cover", () => {
  const route = new ParentRoute(PARENT, ["127.0.0.1"]);
  assert.equal(route.useParent("127.0.0.1", 8080), false);
  assert.equal(route.useParent("0.0.0.0", 8080), false); // connects to loopback
  assert.equal(route.useParent("::ffff:127.0.0.1", 8080), false);
  assert.equal(route.useParent("127.0.0.2", 8080), true);
  assert.equal(route.useParent("localhost", 8080), true); // a name, not resolved
});

Deno.test("ParentRoute: a bad pattern is a RuleError naming --no-parent", () => {
  const cases: [string, string][] = [
    ["example.com:0", "bad port (must be 1-65535)"],
    ["a.*.example", '"*" is allowed only as the whole first label, e.g. *.example.com'],
    ["fd00::/8", "an IPv6 address needs brackets, e.g. [::1] or [fd00::]/8"],
    ["", "missing host"],
  ];
  for (const [value, why] of cases) {
    const err = thrown(() => new ParentRoute(PARENT, ["ok.example", value]));
    assert.ok(err instanceof RuleError, value);
    assert.equal(err.message, `Cannot parse --no-parent "${value}": ${why}`, value);
  }
});
