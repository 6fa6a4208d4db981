import assert from "node:assert/strict";
import {
  buildConfig,
  type Command,
  type Config,
  ConfigError,
  DEFAULT_CONFIG,
  helpText,
  LOG_LEVELS,
  OPTIONS,
  optionsMarkdown,
  parseCommandLine,
  parseListen,
  type Validators,
  VERSION,
} from "../lib/config.ts";
import { suggest } from "../lib/config_help.ts";
import { RuleError } from "../lib/policy/rule.ts";
import { optionsBlock, withOptionsBlock } from "./docs.ts";

function serve(args: string[]): Config {
  const cmd: Command = parseCommandLine(args);
  assert.equal(cmd.kind, "serve");
  return (cmd as { kind: "serve"; config: Config }).config;
}

/** Asserts a ConfigError with a one-line message matching `msg`. */
function configError(args: string[], msg: RegExp): void {
  assert.throws(() => parseCommandLine(args), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.equal(e.name, "ConfigError");
    assert.ok(e.message.length > 0);
    assert.ok(!e.message.includes("\n"), `message has several lines: ${e.message}`);
    assert.match(e.message, msg);
    return true;
  });
}

Deno.test("parseCommandLine: defaults", () => {
  assert.deepEqual(serve([]), {
    listen: [{ hostname: "127.0.0.1", port: 8080 }, { hostname: "::1", port: 8080 }],
    connectPorts: new Set([443]),
    cacheSize: 64 * 1024 * 1024,
    cacheMaxObject: 1024 * 1024,
    cacheMaxStaleMs: 604_800_000,
    allowPurge: [],
    logLevel: "info",
    drainDelayMs: 0,
    accessLogFormat: "text",
    accessLog: null,
    adminListen: null,
    adminAllow: [],
    drainTimeoutMs: 10000,
    connectTimeoutMs: 10000,
    headerTimeoutMs: 15000,
    idleTimeoutMs: 60000,
    tunnelIdleTimeoutMs: 600000,
    responseTimeoutMs: 60000,
    stallTimeoutMs: 60000,
    maxConnections: 4096,
    maxConnectionsPerClient: 0,
    poolMax: 256,
    poolMaxPerOrigin: 64,
    poolIdleTimeoutMs: 30000,
    viaName: "sluice",
    workers: 1,
    clientRules: [],
    hostRules: [],
    denyPrivate: false,
    root: null,
    rootReal: null,
    upstreams: [],
    upstreamHost: null,
    trustedProxies: [],
    upstreamDownMs: 10000,
    parent: null,
    noParent: [],
    forward: true,
    dirListing: false,
    fallback: null,
    authFile: null,
    authRealm: "sluice",
    authMaxFailures: 5,
    authFailureWindowMs: 60000,
    via: true,
    configFile: null,
  });
});

Deno.test("parseCommandLine: --root, --no-forward, --dir-listing, --fallback", () => {
  const c = serve(["--root", "site", "--no-forward", "--dir-listing", "--fallback", "200.html"]);
  assert.deepEqual([c.root, c.forward, c.dirListing, c.fallback, c.rootReal], [
    "site",
    false,
    true,
    "200.html",
    null,
  ]);
  assert.equal(serve(["--root", "site"]).forward, true);
});

Deno.test("parseCommandLine: --no-forward, --dir-listing and --fallback need --root", () => {
  configError(["--no-forward"], /--no-forward.*needs --root DIR or --upstream URL/);
  configError(["--dir-listing"], /--dir-listing.*needs --root DIR/);
  configError(["--fallback", "x.html"], /--fallback.*needs --root DIR/);
});

Deno.test("parseCommandLine: every deadline and limit flag sets its key", () => {
  const c = serve([
    "--header-timeout",
    "1.5",
    "--idle-timeout",
    "2",
    "--tunnel-idle-timeout",
    "3",
    "--response-timeout",
    "4",
    "--stall-timeout",
    "5",
    "--max-connections",
    "6",
    "--max-connections-per-client",
    "7",
  ]);
  assert.deepEqual(
    [
      c.headerTimeoutMs,
      c.idleTimeoutMs,
      c.tunnelIdleTimeoutMs,
      c.responseTimeoutMs,
      c.stallTimeoutMs,
    ],
    [1500, 2000, 3000, 4000, 5000],
  );
  assert.deepEqual([c.maxConnections, c.maxConnectionsPerClient], [6, 7]);
  configError(["--max-connections", "0"], /--max-connections "0": expected a whole number >= 1/);
  configError(["--max-connections-per-client", "x"], /expected a whole number/);
  configError(["--stall-timeout=-1"], /--stall-timeout "-1": expected seconds/);
});

Deno.test("parseCommandLine: a bare PORT sets the port of both default addresses", () => {
  assert.deepEqual(serve(["3128"]).listen, [
    { hostname: "127.0.0.1", port: 3128 },
    { hostname: "::1", port: 3128 },
  ]);
});

Deno.test("parseCommandLine: --port and -p", () => {
  const expected = [{ hostname: "127.0.0.1", port: 9090 }, { hostname: "::1", port: 9090 }];
  assert.deepEqual(serve(["--port", "9090"]).listen, expected);
  assert.deepEqual(serve(["--port=9090"]).listen, expected);
  assert.deepEqual(serve(["-p", "9090"]).listen, expected);
});

Deno.test("parseCommandLine: both a bare PORT and --port is an error", () => {
  configError(["3128", "--port", "9090"], /port once/);
  configError(["-p", "9090", "3128"], /port once/);
});

Deno.test("parseCommandLine: more than one bare argument is an error", () => {
  configError(["1", "2"], /Unexpected argument "2"/);
});

Deno.test("parseCommandLine: --listen is repeatable and replaces the defaults", () => {
  assert.deepEqual(
    serve(["--listen", "[::]:9000", "--listen", "0.0.0.0:3128", "-l", "::1", "-l", "8081"]).listen,
    [
      { hostname: "::", port: 9000 },
      { hostname: "0.0.0.0", port: 3128 },
      { hostname: "::1", port: 8080 },
      { hostname: "127.0.0.1", port: 8081 },
    ],
  );
});

Deno.test("parseCommandLine: --listen without a port takes the --port value", () => {
  assert.deepEqual(serve(["--port", "7000", "--listen", "::1", "--listen", "localhost"]).listen, [
    { hostname: "::1", port: 7000 },
    { hostname: "localhost", port: 7000 },
  ]);
  assert.deepEqual(serve(["7001", "--listen", "[::1]"]).listen, [{ hostname: "::1", port: 7001 }]);
});

Deno.test("parseListen: forms", () => {
  assert.deepEqual(parseListen("[::]:9000", 1), { hostname: "::", port: 9000 });
  assert.deepEqual(parseListen("[::1]", 1), { hostname: "::1", port: 1 });
  assert.deepEqual(parseListen("0.0.0.0:3128", 1), { hostname: "0.0.0.0", port: 3128 });
  assert.deepEqual(parseListen("::1", 1), { hostname: "::1", port: 1 });
  assert.deepEqual(parseListen("fe80::1", 5), { hostname: "fe80::1", port: 5 });
  assert.deepEqual(parseListen("8081", 1), { hostname: "127.0.0.1", port: 8081 });
  assert.deepEqual(parseListen(":3128", 1), { hostname: "0.0.0.0", port: 3128 });
  assert.deepEqual(parseListen("example.test", 2), { hostname: "example.test", port: 2 });
  assert.deepEqual(parseListen("host:0", 2), { hostname: "host", port: 0 });
});

Deno.test("parseListen: errors", () => {
  assert.throws(() => parseListen("[::1", 1), ConfigError);
  assert.throws(() => parseListen("[::1]9000", 1), ConfigError);
  assert.throws(() => parseListen("[::1]:x", 1), ConfigError);
  assert.throws(() => parseListen("host:", 1), ConfigError);
  assert.throws(() => parseListen("host:70000", 1), ConfigError);
  assert.throws(() => parseListen("host:-1", 1), ConfigError);
  assert.throws(() => parseListen("99999", 1), ConfigError);
});

Deno.test("parseCommandLine: bad --listen values are ConfigErrors", () => {
  configError(["--listen", "[::1"], /unclosed/);
  configError(
    ["--listen", "a:b"],
    /^Invalid --listen "a:b": port "b": expected a number from 0 to 65535$/,
  );
  configError(["--listen", ""], /^Invalid --listen "": expected HOST\[:PORT\]$/);
});

Deno.test("parseCommandLine: --connect-ports list", () => {
  assert.deepEqual(serve(["--connect-ports", "443,8443"]).connectPorts, new Set([443, 8443]));
  assert.deepEqual(
    serve(["--connect-ports", " 443 , 8443 ,443"]).connectPorts,
    new Set([443, 8443]),
  );
  assert.deepEqual(serve(["--connect-ports", "22"]).connectPorts, new Set([22]));
});

Deno.test('parseCommandLine: --connect-ports "*" allows any port (null)', () => {
  assert.equal(serve(["--connect-ports", "*"]).connectPorts, null);
  assert.equal(serve(["--connect-ports", " * "]).connectPorts, null);
});

Deno.test("parseCommandLine: bad --connect-ports entries", () => {
  configError(
    ["--connect-ports", "443,,8443"],
    /^Invalid --connect-ports "443,,8443": entry "": expected a port from 1 to 65535, or "\*" alone for any$/,
  );
  configError(["--connect-ports", "https"], /--connect-ports "https": entry "https"/);
  configError(["--connect-ports", "443,0"], /entry "0": expected a port from 1 to 65535/);
  configError(["--connect-ports", "443,70000"], /70000/);
  configError(["--connect-ports", "*,443"], /connect-ports/);
});

Deno.test("parseCommandLine: every log level is accepted", () => {
  assert.deepEqual([...LOG_LEVELS], ["debug", "info", "warning", "error"]);
  for (const level of LOG_LEVELS) assert.equal(serve(["--log-level", level]).logLevel, level);
});

Deno.test("parseCommandLine: a bad log level is a ConfigError", () => {
  configError(
    ["--log-level", "verbose"],
    /Invalid --log-level "verbose".*debug, info, warning, error/,
  );
  configError(["--log-level", "INFO"], /Invalid --log-level "INFO"/);
  configError(["--log-level", "warn"], /warn/);
});

Deno.test("parseCommandLine: bad ports are ConfigErrors", () => {
  configError(["70000"], /^Invalid port "70000": expected a number from 0 to 65535$/);
  configError(["--port", "abc"], /^Invalid --port "abc": expected a number from 0 to 65535$/);
  configError(["--port", "-1"], /.+/);
  configError(["--port", ""], /Invalid --port ""/);
  configError(["123456"], /Invalid port/);
  configError(["80.5"], /Invalid port/);
});

Deno.test("parseCommandLine: port 0 and 65535 are accepted", () => {
  assert.equal(serve(["0"]).listen[0].port, 0);
  assert.equal(serve(["65535"]).listen[1].port, 65535);
});

Deno.test("parseCommandLine: unknown flags are ConfigErrors with a one-line message", () => {
  configError(["--bogus"], /--bogus/);
  configError(["-x"], /-x/);
  configError(["--port"], /port/);
  configError(["--help=yes"], /help/);
});

Deno.test("parseCommandLine: drain and connect timeouts in seconds", () => {
  const c = serve(["--drain-timeout", "2.5", "--connect-timeout", "0"]);
  assert.equal(c.drainTimeoutMs, 2500);
  assert.equal(c.connectTimeoutMs, 0);
  assert.equal(serve(["--connect-timeout", "0.0004"]).connectTimeoutMs, 0);
  assert.equal(serve(["--connect-timeout", "30"]).connectTimeoutMs, 30000);
});

Deno.test("parseCommandLine: bad timeouts are ConfigErrors", () => {
  configError(["--drain-timeout", "abc"], /Invalid --drain-timeout "abc"/);
  configError(["--drain-timeout", "-1"], /drain-timeout/);
  configError(["--connect-timeout", ""], /Invalid --connect-timeout ""/);
  configError(["--connect-timeout", "Infinity"], /connect-timeout/);
  configError(["--connect-timeout", "NaN"], /connect-timeout/);
});

Deno.test("parseCommandLine: --help and -h", () => {
  assert.deepEqual(parseCommandLine(["--help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" });
  // Help wins over other values, even invalid ones.
  assert.deepEqual(parseCommandLine(["--port", "abc", "--help"]), { kind: "help" });
});

Deno.test("parseCommandLine: --version and -V", () => {
  assert.deepEqual(parseCommandLine(["--version"]), { kind: "version" });
  assert.deepEqual(parseCommandLine(["-V"]), { kind: "version" });
  assert.deepEqual(parseCommandLine(["--help", "--version"]), { kind: "help" });
});

Deno.test("OPTIONS: names and short flags are unique", () => {
  const names = OPTIONS.map((o) => o.name);
  assert.equal(new Set(names).size, names.length);
  const shorts = OPTIONS.flatMap((o) => (o.short ? [o.short] : []));
  assert.equal(new Set(shorts).size, shorts.length);
  for (const s of shorts) assert.equal(s.length, 1);
});

Deno.test("helpText: mentions the version, usage and every option", () => {
  const help = helpText();
  assert.match(help, new RegExp(`^sluice ${VERSION.replaceAll(".", "\\.")}`));
  assert.match(help, /Usage: sluice \[PORT\] \[options\]/);
  for (const o of OPTIONS) {
    assert.ok(help.includes(`--${o.name}`), `--${o.name} missing from help`);
    assert.ok(help.includes(o.help), `help text of --${o.name} missing`);
    if (o.short) assert.ok(help.includes(`-${o.short}, --${o.name}`), `-${o.short} missing`);
    if (o.arg) assert.ok(help.includes(`--${o.name} ${o.arg}`), `${o.arg} missing`);
    if (o.default) assert.ok(help.includes(`(default ${o.default})`), `default of ${o.name}`);
  }
});

Deno.test("helpText: one line per option", () => {
  const lines = helpText().split("\n");
  for (const o of OPTIONS) {
    const flag = new RegExp(`--${o.name}(?![\\w-])`);
    assert.equal(lines.filter((l) => flag.test(l)).length, 1, o.name);
  }
});

Deno.test("DEFAULT_CONFIG is the configuration of no flags", () => {
  assert.deepEqual({ ...DEFAULT_CONFIG }, serve([]));
  assert.deepEqual(buildConfig([]), serve([]));
});

Deno.test("--workers: a count >= 1, default 1", () => {
  assert.equal(serve([]).workers, 1);
  assert.equal(serve(["--workers", "4"]).workers, 4);
  configError(["--workers", "0"], /^Invalid --workers "0": expected a whole number >= 1$/);
  configError(["--workers", "two"], /^Invalid --workers "two": expected a whole number >= 1$/);
});

Deno.test("--pool-max and friends: counts and seconds", () => {
  const c = serve(["--pool-max", "0", "--pool-max-per-origin", "3", "--pool-idle-timeout", "0.5"]);
  assert.deepEqual([c.poolMax, c.poolMaxPerOrigin, c.poolIdleTimeoutMs], [0, 3, 500]);
  configError(["--pool-max", "x"], /^Invalid --pool-max "x": expected a whole number >= 0$/);
  configError(["--pool-max-per-origin", "0"], /^Invalid --pool-max-per-origin "0": .* >= 1$/);
});

Deno.test("client rules keep the order given across --allow-client and --deny-client", () => {
  const c = serve([
    "--allow-client",
    "10.0.0.1",
    "--deny-host",
    "*.ads.example",
    "--deny-client=10.0.0.0/8",
    "--allow-host",
    "example.com",
    "--allow-client",
    "0.0.0.0/0",
    "--deny-host",
    "*",
  ]);
  assert.deepEqual(c.clientRules, [
    { action: "allow", value: "10.0.0.1" },
    { action: "deny", value: "10.0.0.0/8" },
    { action: "allow", value: "0.0.0.0/0" },
  ]);
  assert.deepEqual(c.hostRules, [
    { action: "deny", value: "*.ads.example" },
    { action: "allow", value: "example.com" },
    { action: "deny", value: "*" },
  ]);
  assert.deepEqual([serve([]).clientRules, serve([]).hostRules], [[], []]);
  configError(["--allow-client"], /--allow-client/);
});

Deno.test("--deny-private is a boolean, default false", () => {
  assert.equal(serve([]).denyPrivate, false);
  assert.equal(serve(["--deny-private"]).denyPrivate, true);
  configError(["--deny-private=yes"], /'--deny-private' does not take an argument/);
});

Deno.test("--auth-file and --auth-realm", () => {
  assert.deepEqual([serve([]).authFile, serve([]).authRealm], [null, "sluice"]);
  const c = serve(["--auth-file", "users.txt", "--auth-realm", "Campus proxy"]);
  assert.deepEqual([c.authFile, c.authRealm], ["users.txt", "Campus proxy"]);
  configError(["--auth-file", ""], /^Invalid --auth-file "": expected a file name$/);
  configError(
    ["--auth-realm", 'a"b'],
    /^Invalid --auth-realm "a"b": expected 1 to 128 printable ASCII characters without " or \\$/,
  );
  configError(["--auth-realm", ""], /^Invalid --auth-realm "": expected 1 to 128/);
  configError(["--auth-realm", "x".repeat(129)], /expected 1 to 128/);
  configError(["--auth-realm", "tab\there"], /expected 1 to 128/);
});

Deno.test("--auth-max-failures (0 turns the limit off) and --auth-failure-window", () => {
  assert.deepEqual([serve([]).authMaxFailures, serve([]).authFailureWindowMs], [5, 60000]);
  const c = serve(["--auth-max-failures", "0", "--auth-failure-window", "300"]);
  assert.deepEqual([c.authMaxFailures, c.authFailureWindowMs], [0, 300000]);
  assert.equal(serve(["--auth-failure-window=2.5"]).authFailureWindowMs, 2500);
  configError(
    ["--auth-max-failures=-1"],
    /^Invalid --auth-max-failures "-1": expected a whole number >= 0$/,
  );
  configError(["--auth-max-failures", "many"], /expected a whole number >= 0/);
  configError(
    ["--auth-failure-window", "soon"],
    /^Invalid --auth-failure-window "soon": expected seconds \(a number >= 0\)$/,
  );
});

Deno.test("--via-name must be a token of 1 to 64 characters; --no-via", () => {
  assert.equal(serve(["--via-name", "edge-1.example"]).viaName, "edge-1.example");
  assert.equal(serve(["--via-name", "!#$%&'*+.^_`|~-"]).viaName, "!#$%&'*+.^_`|~-");
  assert.equal(serve(["--via-name", "x".repeat(64)]).viaName, "x".repeat(64));
  const msg = "expected a token: 1 to 64 of A-Z a-z 0-9 ! # $ % & ' * + . ^ _ ` | ~ -";
  for (const bad of ["two words", "", "x".repeat(65), "a/b", "caf\u00e9"]) {
    assert.throws(() => parseCommandLine(["--via-name", bad]), {
      name: "ConfigError",
      message: `Invalid --via-name "${bad}": ${msg}`,
    });
  }
  assert.equal(serve([]).via, true);
  assert.equal(serve(["--no-via"]).via, false);
});

Deno.test("--config needs a reader in parseCommandLine; --check is its own command", () => {
  configError(["--config", "x.jsonc"], /--config needs a file reader/);
  configError(["--config", ""], /^Invalid --config "": expected a file name$/);
  const cmd = parseCommandLine(["--check", "--pool-max", "3"]);
  assert.equal(cmd.kind, "check");
  assert.equal((cmd as { config: Config }).config.poolMax, 3);
  configError(["--check", "--pool-max", "x"], /Invalid --pool-max "x"/);
  assert.deepEqual(parseCommandLine(["--check", "--help"]), { kind: "help" });
});

Deno.test("an unknown flag close to a known one gets a suggestion", () => {
  configError(["--pool-maxx", "1"], /^Unknown option '--pool-maxx' \(did you mean --pool-max\?\)$/);
  configError(["--deny-privat"], /did you mean --deny-private\?/);
  configError(["--workres=2"], /did you mean --workers\?/);
  configError(["--bogus"], /^Unknown option '--bogus'$/);
  assert.equal(suggest("listne", ["listen", "log-level"]), "listen");
  assert.equal(suggest("connect", ["connect-ports", "connect-timeout"]), "connect-ports");
  assert.equal(suggest("zzz", ["listen"]), undefined);
});

Deno.test("validators: a RuleError becomes a ConfigError naming the flag", () => {
  const seen: string[] = [];
  const validators: Validators = {
    rule(family, spec) {
      seen.push(`${family} ${spec.action} ${spec.value}`);
      if (spec.value === "bad") throw new RuleError("not a CIDR or address");
    },
  };
  const args = ["--allow-client", "10.0.0.0/8", "--deny-host", "x.example", "--deny-client", "bad"];
  assert.throws(() => parseCommandLine(args, undefined, validators), {
    name: "ConfigError",
    message: 'Invalid --deny-client "bad": not a CIDR or address',
  });
  assert.deepEqual(seen, ["client allow 10.0.0.0/8", "client deny bad"]);
  // other errors are bugs: they pass through
  assert.throws(
    () =>
      parseCommandLine(["--allow-host", "x"], undefined, {
        rule: () => {
          throw new TypeError("boom");
        },
      }),
    TypeError,
  );
  const whole: Validators = {
    config(c) {
      if (c.authFile && c.denyPrivate) throw new RuleError("--auth-file and --deny-private clash");
    },
  };
  assert.throws(() => parseCommandLine(["--auth-file", "u", "--deny-private"], undefined, whole), {
    name: "ConfigError",
    message: "--auth-file and --deny-private clash",
  });
  assert.equal(parseCommandLine(["--deny-private"], undefined, whole).kind, "serve");
});

Deno.test("helpText: lists the new options", () => {
  const help = helpText();
  for (
    const flag of [
      "--workers N",
      "--allow-client CIDR",
      "--deny-client CIDR",
      "--allow-host PATTERN",
      "--deny-host PATTERN",
      "--deny-private",
      "--auth-file FILE",
      "--auth-realm REALM",
      "--via-name NAME",
      "--no-via",
      "--config FILE",
      "--check",
    ]
  ) {
    assert.ok(help.includes(flag), flag);
  }
});

Deno.test("optionsMarkdown: one row per option, padded like deno fmt", () => {
  const md = optionsMarkdown();
  const rows = md.trimEnd().split("\n");
  assert.equal(rows.length, OPTIONS.length + 2);
  assert.match(rows[0], /^\| flag +\| argument +\| default +\| description +\|$/);
  for (const o of OPTIONS) {
    assert.equal(rows.filter((r) => r.includes(`--${o.name}\``)).length, 1, o.name);
  }
  for (const r of rows) assert.equal(r.length, rows[0].length, r);
});

Deno.test("README: the option list is optionsMarkdown() (run `deno task docs`)", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.equal(
    optionsBlock(readme),
    optionsMarkdown(),
    "README option list is stale: deno task docs",
  );
  assert.equal(withOptionsBlock(readme), readme);
});

Deno.test("--cache-size / --cache-max-object: bytes with binary units; 0 turns the cache off; bad sizes and CIDRs refused", () => {
  const c = serve(["--cache-size", "512KiB", "--cache-max-object", "2M"]);
  assert.equal(c.cacheSize, 512 * 1024);
  assert.equal(c.cacheMaxObject, 2 * 1024 * 1024);
  assert.equal(serve(["--cache-size", "0"]).cacheSize, 0);
  assert.equal(serve(["--cache-size", "1g"]).cacheSize, 1 << 30);
  assert.equal(serve(["--cache-size", "4096"]).cacheSize, 4096);
  assert.throws(() => serve(["--cache-size", "64 megs"]), /--cache-size.*size in bytes/);
  assert.throws(() => serve(["--cache-size=-1"]), /size in bytes/);
  assert.throws(() => serve(["--allow-purge", "10.1.2.3/8"]), /host bits set/);
  assert.deepEqual(serve(["--allow-purge", "::1", "--allow-purge", "10.0.0.0/8"]).allowPurge, [
    "::1",
    "10.0.0.0/8",
  ]);
});

Deno.test("--access-log-format, --access-log, --admin-listen, --admin-allow", () => {
  const c = serve([
    "--access-log-format",
    "combined",
    "--access-log",
    "access.log",
    "--admin-listen",
    "127.0.0.1:9090",
    "--admin-allow",
    "10.0.0.0/8",
  ]);
  assert.equal(c.accessLogFormat, "combined");
  assert.equal(c.accessLog, "access.log");
  assert.deepEqual(c.adminListen, { hostname: "127.0.0.1", port: 9090 });
  assert.deepEqual(c.adminAllow, ["10.0.0.0/8"]);
  assert.throws(() => serve(["--access-log-format", "xml"]), /text, json, combined/);
  assert.throws(() => serve(["--admin-listen", "127.0.0.1"]), /with a port/);
  assert.throws(() => serve(["--admin-allow", "10.1.0.0/8"]), /host bits set/);
});
