/** Who answers an exchange: a pure function of the request line and the configuration. */
import assert from "node:assert/strict";
import { ProxyError } from "../lib/errors.ts";
import { route, type RouteConfig } from "../lib/route.ts";

const self = (host: string, port: number) =>
  (host === "127.0.0.1" || host === "::1") && port === 8080;
const proxyOnly: RouteConfig = { files: false, forward: true, upstream: false, isSelf: self };
const both: RouteConfig = { files: true, forward: true, upstream: false, isSelf: self };
const webOnly: RouteConfig = { files: true, forward: false, upstream: false, isSelf: self };
const reverse: RouteConfig = { files: false, forward: false, upstream: true, isSelf: self };
const filesAndApp: RouteConfig = { files: true, forward: true, upstream: true, isSelf: self };

function refusal(fn: () => unknown): ProxyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error("not refused");
}

Deno.test("route: without --root, absolute-form is forwarded, CONNECT tunnelled, origin-form 400", () => {
  assert.deepEqual(route("GET", "http://a.test/x", proxyOnly), {
    kind: "forward",
    target: { host: "a.test", port: 80, path: "/x", authority: "a.test" },
  });
  assert.equal(route("CONNECT", "a.test:443", proxyOnly).kind, "tunnel");
  const e = refusal(() => route("GET", "/index.html", proxyOnly));
  assert.equal(e.status, 400);
  assert.equal(e.reason, "origin-form");
});

Deno.test("route: with --root, origin-form goes to the files, with its query", () => {
  assert.deepEqual(route("GET", "/a/b.txt?x=1", both), { kind: "files", path: "/a/b.txt?x=1" });
  assert.deepEqual(route("POST", "/form", both), { kind: "files", path: "/form" });
  assert.equal(route("GET", "http://a.test/x", both).kind, "forward");
});

Deno.test("route: an absolute-form request for sluice's own address is served from the root, not dialled", () => {
  assert.deepEqual(route("GET", "http://127.0.0.1:8080/p.pac", both), {
    kind: "files",
    path: "/p.pac",
  });
  assert.deepEqual(route("GET", "http://[::1]:8080/", webOnly), { kind: "files", path: "/" });
  assert.equal(route("GET", "http://127.0.0.1:8081/", both).kind, "forward");
  // without --root, self stays a forward request (refused later as a loop)
  assert.equal(route("GET", "http://127.0.0.1:8080/", proxyOnly).kind, "forward");
});

Deno.test("route: --no-forward refuses proxy requests and CONNECT with 403 naming the flag", () => {
  for (const [method, target] of [["GET", "http://a.test/"], ["CONNECT", "a.test:443"]]) {
    const e = refusal(() => route(method, target, webOnly));
    assert.equal(e.status, 403);
    assert.equal(e.reason, "forward-disabled");
    assert.match(e.message, /--no-forward/);
  }
  assert.equal(route("GET", "/", webOnly).kind, "files");
});

Deno.test("route: a bad target is still a 400 under --root", () => {
  assert.equal(refusal(() => route("GET", "*", both)).status, 400);
  assert.equal(refusal(() => route("GET", "ftp://a.test/", both)).status, 400);
  assert.equal(refusal(() => route("CONNECT", "a.test", both)).status, 400);
});

Deno.test("route: origin-form goes upstream with --upstream (files first when --root is set too); OPTIONS * too", () => {
  assert.deepEqual(route("GET", "/app", reverse), { kind: "upstream" });
  assert.deepEqual(route("OPTIONS", "*", reverse), { kind: "upstream" });
  assert.deepEqual(route("GET", "/app", filesAndApp), { kind: "files", path: "/app" });
  assert.deepEqual(route("OPTIONS", "*", filesAndApp), { kind: "upstream" });
  assert.equal(route("GET", "http://example.com/", filesAndApp).kind, "forward");
  assert.throws(
    () => route("GET", "http://example.com/", reverse),
    /forward-disabled|--no-forward/,
  );
});
