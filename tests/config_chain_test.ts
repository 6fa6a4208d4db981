import assert from "node:assert/strict";
import { type Config, ConfigError, parseCommandLine } from "../lib/config.ts";
import {
  parseParentUrl,
  parseUpstreamHost,
  parseUpstreamUrl,
  redactParent,
} from "../lib/config_urls.ts";

function serve(args: string[]): Config {
  const cmd = parseCommandLine(args);
  assert.equal(cmd.kind, "serve");
  return (cmd as { config: Config }).config;
}

/** Asserts a ConfigError with exactly `message`. */
function refused(args: string[], message: string): void {
  assert.throws(() => parseCommandLine(args), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** The config of a config file `text`. */
function file(text: string): Config {
  const cmd = parseCommandLine(["--config", "s.jsonc"], () => text);
  return (cmd as { config: Config }).config;
}

const UP = "(http://HOST[:PORT])";
const PARENT = "(http://[USER:PASS@]HOST:PORT)";

Deno.test("--upstream: repeatable, stored as host:port authorities in the order given", () => {
  const c = serve([
    "--upstream",
    "http://App.Internal:8000/",
    "--upstream",
    "HTTP://127.0.0.1",
    "--upstream",
    "http://[::1]:9000",
    "--upstream",
    "http://localhost.:81",
  ]);
  assert.deepEqual(c.upstreams, [
    "app.internal:8000",
    "127.0.0.1:80",
    "[::1]:9000",
    "localhost:81",
  ]);
  assert.deepEqual(serve([]).upstreams, []);
});

Deno.test("--upstream: anything but http://HOST[:PORT] is refused, saying why", () => {
  const cases: [string, string][] = [
    ["https://x", `https is not supported: --upstream takes http:// URLs only ${UP}`],
    ["ws://x", `--upstream takes http:// URLs only ${UP}, not ws://`],
    ["127.0.0.1:8000", `expected a URL http://HOST[:PORT] (did you mean http://127.0.0.1:8000?)`],
    ["/srv/app", `expected a URL http://HOST[:PORT]`],
    ["http://u:p@x", `user information (USER:PASS@) is not allowed ${UP}`],
    ["http://x/app", `a path is not allowed: requests keep their own ${UP}`],
    ["http://x//", `a path is not allowed: requests keep their own ${UP}`],
    ["http://x/?a=1", `a query (?...) is not allowed ${UP}`],
    ["http://x#top", `a fragment (#...) is not allowed ${UP}`],
    ["http://", `missing host ${UP}`],
    ["http://:80", `missing host`],
    ["http://::1", "an IPv6 address needs brackets, e.g. [::1]:8080"],
    ["http://x:0", "port out of range"],
    ["http://x:65536", "port out of range"],
    ["http://x:", "invalid port"],
    ["http://a b", "invalid host"],
  ];
  for (const [value, problem] of cases) {
    refused(["--upstream", value], `Invalid --upstream "${value}": ${problem}`);
  }
  refused(
    ["--upstream", "http://a", "--upstream", "http://A:80/"],
    'Invalid --upstream "http://A:80/": a:80 is given twice',
  );
});

Deno.test("--upstream-host and --trusted-proxy: checked, and only with --upstream", () => {
  const up = ["--upstream", "http://127.0.0.1:8000"];
  const c = serve([...up, "--upstream-host", "App.example:8080", "--trusted-proxy", "10.0.0.0/8"]);
  assert.deepEqual([c.upstreamHost, c.trustedProxies], ["App.example:8080", ["10.0.0.0/8"]]);
  assert.equal(serve([...up, "--upstream-host", "[::1]"]).upstreamHost, "[::1]");
  assert.deepEqual(
    serve([...up, "--trusted-proxy", "::1", "--trusted-proxy", "192.168.0.0/16"]).trustedProxies,
    ["::1", "192.168.0.0/16"],
  );
  assert.deepEqual([serve(up).upstreamHost, serve(up).trustedProxies], [null, []]);
  refused(
    [...up, "--upstream-host", "::1"],
    'Invalid --upstream-host "::1": an IPv6 address needs brackets, e.g. [::1]:8080',
  );
  refused([...up, "--upstream-host", "a b"], 'Invalid --upstream-host "a b": invalid host');
  refused(
    [...up, "--upstream-host", ""],
    'Invalid --upstream-host "": expected HOST[:PORT], the Host header to send',
  );
  assert.throws(() => serve([...up, "--trusted-proxy", "10.1.0.0/8"]), /host bits set/);
  refused(
    ["--upstream-host", "x"],
    'Invalid --upstream-host "x": only matters with --upstream URL (a reverse proxy)',
  );
  refused(
    ["--trusted-proxy", "10.0.0.0/8"],
    'Invalid --trusted-proxy "10.0.0.0/8": only matters with --upstream URL (a reverse proxy)',
  );
});

Deno.test("--upstream-down-time: seconds, default 10, 0 allowed", () => {
  assert.equal(serve([]).upstreamDownMs, 10000);
  assert.equal(serve(["--upstream-down-time", "0"]).upstreamDownMs, 0);
  assert.equal(serve(["--upstream-down-time", "1.5"]).upstreamDownMs, 1500);
  refused(
    ["--upstream-down-time", "soon"],
    'Invalid --upstream-down-time "soon": expected seconds (a number >= 0)',
  );
});

Deno.test("--upstream with --no-forward is a reverse proxy only; not with --fallback", () => {
  const c = serve(["--upstream", "http://127.0.0.1:8000", "--no-forward"]);
  assert.deepEqual([c.forward, c.root], [false, null]);
  refused(
    ["--root", "site", "--fallback", "200.html", "--upstream", "http://a"],
    'Invalid --fallback "200.html": cannot be used with --upstream: paths that match no file go upstream',
  );
  const both = serve(["--root", "site", "--upstream", "http://a"]);
  assert.deepEqual([both.root, both.upstreams], ["site", ["a:80"]]);
});

Deno.test("--parent: http://[USER:PASS@]HOST:PORT, stored with its userinfo as written", () => {
  assert.equal(serve([]).parent, null);
  assert.equal(
    serve(["--parent", "http://Proxy.Campus.example:3128/"]).parent,
    "http://proxy.campus.example:3128",
  );
  assert.equal(
    serve(["--parent", "http://lab:s%40cret@[::1]:3128"]).parent,
    "http://lab:s%40cret@[::1]:3128",
  );
  assert.deepEqual(parseParentUrl("http://lab:s%40c:ret@Proxy:3128"), {
    host: "proxy",
    port: 3128,
    authority: "proxy:3128",
    user: "lab",
    password: "s@c:ret",
    url: "http://lab:s%40c:ret@proxy:3128",
  });
  assert.deepEqual(
    [parseParentUrl("http://lab@p:1").password, parseParentUrl("http://lab:@p:1").password],
    ["", ""],
  );
  assert.deepEqual(
    [parseParentUrl("http://p:1").user, parseParentUrl("http://p:1").password],
    [null, null],
  );
});

Deno.test("--parent: refusals never show the password", () => {
  const cases: [string, string, string][] = [
    [
      "http://lab:pw1@proxy",
      "http://lab:***@proxy",
      `a port is required ${PARENT}; a proxy has no default port`,
    ],
    [
      "https://lab:pw2@p:1",
      "https://lab:***@p:1",
      `https is not supported: --parent takes http:// URLs only ${PARENT}`,
    ],
    [
      "lab:pw3@p:1",
      "lab:***@p:1",
      "expected a URL http://[USER:PASS@]HOST:PORT (did you mean http://lab:***@p:1?)",
    ],
    [
      "http://lab:pw4@p:1/x",
      "http://lab:***@p:1/x",
      `a path is not allowed: requests keep their own ${PARENT}`,
    ],
    [
      "http://lab:p@w5@p:1",
      "http://lab:***@p:1",
      "the user or password has a character that must be percent-encoded (@ is %40, % is %25)",
    ],
    ["http://:pw6@p:1", "http://:***@p:1", `missing user before the password ${PARENT}`],
    [
      "http://l%3Ab:pw7@p:1",
      "http://l%3Ab:***@p:1",
      'a user name cannot contain ":" (Basic authentication)',
    ],
    ["http://lab:pw%0A8@p:1", "http://lab:***@p:1", "control characters in the user or password"],
    [
      "http://lab:***@p:1",
      "http://lab:***@p:1",
      'the password is "***", as --check prints it: put the real password back',
    ],
  ];
  for (const [value, shown, problem] of cases) {
    refused(["--parent", value], `Invalid --parent "${shown}": ${problem}`);
  }
  // from a file the value is not echoed at all
  assert.throws(() => file('{ "parent": "http://lab:pw9@proxy" }'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(
      e.message,
      `s.jsonc:1:13: "parent": a port is required ${PARENT}; a proxy has no default port`,
    );
    return true;
  });
});

Deno.test("--no-parent: host patterns as --allow-host takes them, only with --parent", () => {
  const parent = ["--parent", "http://proxy:3128"];
  const c = serve([
    ...parent,
    "--no-parent",
    "*.campus.example",
    "--no-parent",
    "10.0.0.0/8:22",
    "--no-parent",
    "[::1]",
  ]);
  assert.deepEqual(c.noParent, ["*.campus.example", "10.0.0.0/8:22", "[::1]"]);
  refused(
    [...parent, "--no-parent", "a.example:0"],
    'Invalid --no-parent "a.example:0": Cannot parse "a.example:0": bad port (must be 1-65535)',
  );
  refused(
    [...parent, "--no-parent", "a*.example"],
    'Invalid --no-parent "a*.example": Cannot parse "a*.example": "*" is allowed only as the whole first label, e.g. *.example.com',
  );
  refused(
    ["--no-parent", "x.example"],
    'Invalid --no-parent "x.example": only matters with --parent URL',
  );
  assert.deepEqual(file('{ "parent": "http://p:1", "no-parent": "lab.example" }').noParent, [
    "lab.example",
  ]);
});

Deno.test("flags replace the file's --upstream list; a file gives the chain options too", () => {
  const text = `{
    "upstream": ["http://10.0.0.1:8000", "http://10.0.0.2:8000"],
    "trusted-proxy": "10.0.0.0/8",
    "upstream-down-time": 30,
  }`;
  const c = file(text);
  assert.deepEqual(
    [c.upstreams, c.trustedProxies, c.upstreamDownMs],
    [["10.0.0.1:8000", "10.0.0.2:8000"], ["10.0.0.0/8"], 30000],
  );
  const cmd = parseCommandLine(
    ["--config", "s.jsonc", "--upstream", "http://10.0.0.3"],
    () => text,
  );
  assert.deepEqual((cmd as { config: Config }).config.upstreams, ["10.0.0.3:80"]);
});

Deno.test("parseUpstreamUrl, parseUpstreamHost, redactParent", () => {
  assert.equal(parseUpstreamUrl("http://[2001:DB8::1]:8080"), "[2001:db8::1]:8080");
  assert.equal(parseUpstreamHost("example.com"), "example.com");
  assert.equal(redactParent("http://lab:secret@proxy:3128"), "http://lab:***@proxy:3128");
  assert.equal(redactParent("http://lab:se:c@r@et@proxy:3128"), "http://lab:***@proxy:3128");
  assert.equal(redactParent("http://lab@proxy:3128"), "http://lab@proxy:3128");
  assert.equal(redactParent("http://lab:@proxy:3128"), "http://lab:@proxy:3128");
  assert.equal(redactParent("http://proxy:3128"), "http://proxy:3128");
  assert.equal(redactParent("lab:secret@proxy:3128"), "lab:***@proxy:3128");
});
