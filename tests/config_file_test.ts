import assert from "node:assert/strict";
import {
  type Command,
  type Config,
  ConfigError,
  ConfigFileError,
  loadCommand,
  OPTIONS,
  parseCommandLine,
  type Validators,
} from "../lib/config.ts";
import { formatConfig, parseConfigText } from "../lib/config_file.ts";
import { RuleError } from "../lib/policy/rule.ts";

const FILE = "sluice.jsonc";

/** The configuration from a config file `text` plus `args`. */
function load(text: string, args: string[] = [], validators?: Validators): Config {
  const cmd: Command = parseCommandLine(["--config", FILE, ...args], () => text, validators);
  assert.ok(cmd.kind === "serve" || cmd.kind === "check");
  return cmd.config;
}

/** Asserts that loading `text` fails with exactly `message` (a ConfigFileError). */
function fileError(text: string, message: string, args: string[] = []): void {
  assert.throws(() => load(text, args), (e: unknown) => {
    assert.ok(e instanceof ConfigFileError, `expected ConfigFileError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** The config of flags alone. */
function flags(args: string[]): Config {
  return (parseCommandLine(args) as { config: Config }).config;
}

Deno.test("config file: every value type", () => {
  const c = load(`{
    "listen": ["0.0.0.0:3128", "[::1]:3129"],
    "port": 9000,
    "workers": 4,
    "connect-ports": "443,8443",
    "deny-private": true,
    "auth-file": "users.txt",
    "auth-realm": "campus",
    "auth-max-failures": 0,
    "auth-failure-window": "90",
    "via-name": "edge",
    "no-via": true,
    "log-level": "debug",
    "drain-timeout": 2.5,
    "connect-timeout": "3",
    "pool-max": 0,
    "pool-max-per-origin": "7",
    "max-connections": 100,
  }`);
  assert.deepEqual(c, {
    ...flags([]),
    listen: [{ hostname: "0.0.0.0", port: 3128 }, { hostname: "::1", port: 3129 }],
    workers: 4,
    connectPorts: new Set([443, 8443]),
    denyPrivate: true,
    authFile: "users.txt",
    authRealm: "campus",
    authMaxFailures: 0,
    authFailureWindowMs: 90000,
    viaName: "edge",
    via: false,
    logLevel: "debug",
    drainTimeoutMs: 2500,
    connectTimeoutMs: 3000,
    poolMax: 0,
    poolMaxPerOrigin: 7,
    maxConnections: 100,
    configFile: FILE,
  });
});

Deno.test("config file: numbers for ports, seconds and counts; strings elsewhere", () => {
  assert.equal(load('{ "port": 3128 }').listen[0].port, 3128);
  assert.equal(load('{ "connect-ports": 22 }').connectPorts!.has(22), true);
  assert.equal(load('{ "idle-timeout": 0.25 }').idleTimeoutMs, 250);
  assert.equal(load('{ "idle-timeout": 1e1 }').idleTimeoutMs, 10000);
  fileError(
    '{ "log-level": 1 }',
    'sluice.jsonc:1:16: "log-level": expected a string, not a number',
  );
  fileError(
    '{ "via-name": true }',
    'sluice.jsonc:1:15: "via-name": expected a string, not a boolean',
  );
  fileError(
    '{ "pool-max": "many" }',
    'sluice.jsonc:1:15: "pool-max": expected a whole number >= 0',
  );
  fileError('{ "pool-max": 1.5 }', 'sluice.jsonc:1:15: "pool-max": expected a whole number >= 0');
  fileError('{ "pool-max": -1 }', 'sluice.jsonc:1:15: "pool-max": expected a whole number >= 0');
  fileError('{ "workers": 0 }', 'sluice.jsonc:1:14: "workers": expected a whole number >= 1');
  fileError(
    '{ "stall-timeout": [1] }',
    'sluice.jsonc:1:20: "stall-timeout": expected a string or a number, not an array',
  );
});

Deno.test("config file: booleans take true or false only", () => {
  assert.equal(load('{ "deny-private": false }').denyPrivate, false);
  assert.equal(load('{ "no-via": false }').via, true);
  fileError(
    '{ "deny-private": "yes" }',
    'sluice.jsonc:1:19: "deny-private": expected true or false, not a string',
  );
  fileError('{ "no-via": 1 }', 'sluice.jsonc:1:13: "no-via": expected true or false, not a number');
});

Deno.test("config file: a repeatable option takes an array or a single string", () => {
  assert.deepEqual(load('{ "listen": "127.0.0.1:1" }').listen, [
    { hostname: "127.0.0.1", port: 1 },
  ]);
  assert.deepEqual(load('{ "allow-host": "example.com" }').hostRules, [
    { action: "allow", value: "example.com" },
  ]);
  assert.deepEqual(load('{ "listen": [] }').listen, flags([]).listen);
  fileError(
    '{ "listen": ["127.0.0.1:1", 2] }',
    'sluice.jsonc:1:29: "listen": expected a string in the array, not a number',
  );
  fileError(
    '{ "deny-client": { "x": 1 } }',
    'sluice.jsonc:1:18: "deny-client": expected a string or an array, not an object',
  );
});

Deno.test("config file: value errors point at the value (array elements included)", () => {
  fileError(
    '{\n  "listen": [\n    "127.0.0.1:1",\n    "[::1"\n  ]\n}',
    'sluice.jsonc:4:5: "listen": unclosed [',
  );
  fileError(
    '{\n  // the level\n  "log-level": "loud"\n}',
    'sluice.jsonc:3:16: "log-level": expected one of debug, info, warning, error',
  );
  fileError(
    '{ "connect-ports": "443,0" }',
    'sluice.jsonc:1:20: "connect-ports": entry "0": expected a port from 1 to 65535, or "*" alone for any',
  );
  fileError('{ "auth-file": "" }', 'sluice.jsonc:1:16: "auth-file": expected a file name');
});

Deno.test("config file: the same problem reads the same from a flag and from the file", () => {
  const cases: [string, string][] = [
    ["pool-max", "x"],
    ["workers", "0"],
    ["idle-timeout", "-1"],
    ["log-level", "loud"],
    ["via-name", "a b"],
    ["auth-realm", 'a"b'],
    ["listen", "h:p"],
    ["connect-ports", "https"],
    ["port", "99999"],
  ];
  for (const [name, value] of cases) {
    let flagMessage = "";
    try {
      flags([`--${name}=${value}`]);
    } catch (e) {
      flagMessage = (e as Error).message;
    }
    const prefix = `Invalid --${name} "${value}": `;
    assert.ok(flagMessage.startsWith(prefix), flagMessage);
    const text = `{ "${name}": ${JSON.stringify(value)} }`;
    const col = text.indexOf(JSON.stringify(value)) + 1;
    fileError(text, `sluice.jsonc:1:${col}: "${name}": ${flagMessage.slice(prefix.length)}`);
  }
});

Deno.test("config file: comments and trailing commas", () => {
  const c = load(`// sluice settings
/* block
   comment */
{
  "pool-max": 5, // inline
  "allow-client": [
    "10.0.0.0/8", /* why */
  ],
}
`);
  assert.equal(c.poolMax, 5);
  assert.deepEqual(c.clientRules, [{ action: "allow", value: "10.0.0.0/8" }]);
});

Deno.test("config file: syntax errors give line:column and the error in words", () => {
  fileError(
    '{\n  "pool-max": 1\n  "workers": 2\n}',
    "sluice.jsonc:3:3: syntax error: comma expected",
  );
  fileError('{ "pool-max": }', "sluice.jsonc:1:15: syntax error: value expected");
  fileError('{ "pool-max": 1', "sluice.jsonc:1:16: syntax error: close brace expected");
  fileError("{ pool-max: 1 }", "sluice.jsonc:1:3: syntax error: invalid symbol");
  fileError('{ "a": "x\n" }', "sluice.jsonc:1:8: syntax error: unexpected end of string");
  fileError("", "sluice.jsonc:1:1: syntax error: value expected");
  fileError(
    '["pool-max"]',
    'sluice.jsonc:1:1: expected an object of options: { "listen": [...], ... }',
  );
});

Deno.test("config file: unknown keys are errors, with a suggestion when one is close", () => {
  fileError(
    '{\n  "pool-maxx": 1\n}',
    'sluice.jsonc:2:3: unknown option "pool-maxx"; did you mean "pool-max"?',
  );
  fileError(
    '{ "deny_private": true }',
    'sluice.jsonc:1:3: unknown option "deny_private"; did you mean "deny-private"?',
  );
  fileError(
    '{ "client-rule": [] }',
    'sluice.jsonc:1:3: unknown option "client-rule"; did you mean "client-rules"?',
  );
  fileError('{ "colour": "blue" }', 'sluice.jsonc:1:3: unknown option "colour"');
  fileError(
    '{ "listen": [], "listen": [] }',
    'sluice.jsonc:1:17: "listen": given twice (first at 1:3)',
  );
});

Deno.test("config file: config, check, help and version are not allowed", () => {
  for (const key of ["config", "check", "help", "version"]) {
    fileError(
      `{ "${key}": true }`,
      `sluice.jsonc:1:3: "${key}": a command-line flag only, not allowed in the file`,
    );
  }
  const inFile = OPTIONS.filter((o) => o.file === false).map((o) => o.name);
  assert.deepEqual(inFile, ["config", "check", "help", "version"]);
});

Deno.test("config file: null means the default", () => {
  assert.deepEqual(load('{ "pool-max": null, "auth-file": null, "listen": null }'), {
    ...flags([]),
    configFile: FILE,
  });
});

Deno.test("config file: rules apply in key order, then array order", () => {
  const c = load(`{
    "deny-client": ["10.1.0.0/16", "10.2.0.0/16"],
    "allow-host": "example.com",
    "allow-client": "10.0.0.0/8",
  }`);
  assert.deepEqual(c.clientRules, [
    { action: "deny", value: "10.1.0.0/16" },
    { action: "deny", value: "10.2.0.0/16" },
    { action: "allow", value: "10.0.0.0/8" },
  ]);
  assert.deepEqual(c.hostRules, [{ action: "allow", value: "example.com" }]);
});

Deno.test("config file: the ordered form client-rules / host-rules", () => {
  const c = load(`{
    "client-rules": [{ "allow": "10.0.0.1" }, { "deny": "10.0.0.0/8" }, { "allow": "0.0.0.0/0" }],
    "host-rules": [{ "deny": "*.ads.example" }],
    "allow-host": "example.com",
  }`);
  assert.deepEqual(c.clientRules, [
    { action: "allow", value: "10.0.0.1" },
    { action: "deny", value: "10.0.0.0/8" },
    { action: "allow", value: "0.0.0.0/0" },
  ]);
  assert.deepEqual(c.hostRules, [
    { action: "deny", value: "*.ads.example" },
    { action: "allow", value: "example.com" },
  ]);
  const expected = 'expected { "allow": "..." } or { "deny": "..." }';
  for (
    const bad of [
      '{ "permit": "x" }',
      '{ "allow": "x", "deny": "y" }',
      '{ "allow": 1 }',
      '"x"',
      "{}",
    ]
  ) {
    fileError(
      `{ "client-rules": [${bad}] }`,
      `sluice.jsonc:1:20: "client-rules": ${expected}${
        bad.startsWith("{") ? "" : ", not a string"
      }`,
    );
  }
  fileError(
    '{ "host-rules": { "allow": "x" } }',
    `sluice.jsonc:1:17: "host-rules": expected an array of { "allow": "..." } or { "deny": "..." }, not an object`,
  );
});

Deno.test("config file: the validate hook names the file, line and key", () => {
  const validators: Validators = {
    rule(family, spec) {
      if (spec.value.includes("!")) throw new RuleError(`bad ${family} pattern`);
    },
  };
  assert.throws(
    () => load('{\n  "allow-client": ["10.0.0.0/8", "1!"]\n}', [], validators),
    { name: "ConfigFileError", message: 'sluice.jsonc:2:34: "allow-client": bad client pattern' },
  );
  assert.throws(
    () => load('{ "client-rules": [{ "deny": "x!" }] }', [], validators),
    { name: "ConfigFileError", message: 'sluice.jsonc:1:30: "client-rules": bad client pattern' },
  );
  assert.throws(() => load("{}", ["--deny-host", "a!"], validators), {
    name: "ConfigError",
    message: 'Invalid --deny-host "a!": bad host pattern',
  });
});

Deno.test("flags override the file, option by option", () => {
  const file = `{
    "port": 3000, "workers": 2, "connect-ports": "22", "deny-private": false,
    "auth-file": "a.txt", "auth-realm": "file", "via-name": "file", "log-level": "error",
    "drain-timeout": 1, "pool-max": 1, "max-connections": 1,
  }`;
  const fromFile = load(file);
  assert.deepEqual(
    [fromFile.workers, fromFile.authFile, fromFile.logLevel, fromFile.poolMax, fromFile.listen[0]],
    [2, "a.txt", "error", 1, { hostname: "127.0.0.1", port: 3000 }],
  );
  const c = load(file, [
    "4000",
    "--workers",
    "3",
    "--connect-ports",
    "*",
    "--deny-private",
    "--auth-file",
    "b.txt",
    "--via-name",
    "flag",
    "--drain-timeout",
    "2",
  ]);
  assert.deepEqual(c.listen[0], { hostname: "127.0.0.1", port: 4000 });
  assert.deepEqual(
    [c.workers, c.connectPorts, c.denyPrivate, c.authFile, c.viaName, c.drainTimeoutMs],
    [3, null, true, "b.txt", "flag", 2000],
  );
  // not given as flags: from the file
  assert.deepEqual(
    [c.authRealm, c.logLevel, c.poolMax, c.maxConnections],
    ["file", "error", 1, 1],
  );
  // the file's port still fills in a flag's listen address without one
  assert.deepEqual(load('{ "port": 3000 }', ["-l", "::1"]).listen, [{
    hostname: "::1",
    port: 3000,
  }]);
});

Deno.test("flags replace the file's list for listen and for each rule family", () => {
  const file = `{
    "listen": ["127.0.0.1:1", "127.0.0.1:2"],
    "allow-client": ["10.0.0.0/8"], "deny-client": "0.0.0.0/0",
    "host-rules": [{ "deny": "a.example" }, { "allow": "*" }],
  }`;
  const c = load(file, ["--deny-client", "10.9.0.0/16", "--listen", "127.0.0.1:3"]);
  assert.deepEqual(c.listen, [{ hostname: "127.0.0.1", port: 3 }]);
  assert.deepEqual(c.clientRules, [{ action: "deny", value: "10.9.0.0/16" }]);
  assert.deepEqual(c.hostRules, [{ action: "deny", value: "a.example" }, {
    action: "allow",
    value: "*",
  }]);
  const h = load(file, ["--allow-host", "b.example"]);
  assert.deepEqual(h.hostRules, [{ action: "allow", value: "b.example" }]);
  assert.deepEqual(h.clientRules, [
    { action: "allow", value: "10.0.0.0/8" },
    { action: "deny", value: "0.0.0.0/0" },
  ]);
  assert.equal(h.listen.length, 2);
});

Deno.test("loadCommand: async reader, help before reading, read errors", async () => {
  const read = (text: string) => (path: string) => {
    assert.equal(path, "conf/s.jsonc");
    return Promise.resolve(text);
  };
  const cmd = await loadCommand(["--config", "conf/s.jsonc", "--check"], read('{ "workers": 2 }'));
  assert.equal(cmd.kind, "check");
  assert.equal((cmd as { config: Config }).config.workers, 2);
  const never = () => {
    throw new Error("read");
  };
  assert.deepEqual(await loadCommand(["--config", "x", "--help"], never), { kind: "help" });
  assert.equal((await loadCommand(["--workers", "2"], never)).kind, "serve");
  const fails = (err: Error) => () => Promise.reject(err);
  const cases: [Error, string][] = [
    [
      new Deno.errors.NotCapable("Requires read access"),
      "cannot read sluice.jsonc: the Deno sandbox does not allow it; add --allow-read=sluice.jsonc",
    ],
    [new Deno.errors.NotFound("nope"), "cannot read sluice.jsonc: no such file"],
    [new Deno.errors.PermissionDenied("EACCES"), "cannot read sluice.jsonc: permission denied"],
    [new Deno.errors.IsADirectory("dir"), "cannot read sluice.jsonc: it is a directory"],
    [new Error("disk on fire"), "cannot read sluice.jsonc: disk on fire"],
  ];
  for (const [err, message] of cases) {
    await assert.rejects(() => loadCommand(["--config", FILE], fails(err)), {
      name: "ConfigFileError",
      message,
    });
  }
  // a synchronous reader that throws, through parseCommandLine
  assert.throws(() =>
    parseCommandLine(["--config", FILE], () => {
      throw new Deno.errors.NotFound("x");
    }), { message: "cannot read sluice.jsonc: no such file" });
  // a real file
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.jsonc`, '{ "pool-max": 9 }');
    const real = await loadCommand(["--config", `${dir}/s.jsonc`], (p) => Deno.readTextFile(p));
    assert.equal((real as { config: Config }).config.poolMax, 9);
    await assert.rejects(
      () => loadCommand(["--config", `${dir}/none.jsonc`], (p) => Deno.readTextFile(p)),
      { message: `cannot read ${dir}/none.jsonc: no such file` },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfigText: uses in key order with their positions", () => {
  assert.deepEqual(parseConfigText('{ "pool-max": 0,\n "listen": ["::1", "[::1]:2"] }', "f"), [
    { name: "pool-max", value: "0", where: 'f:1:15: "pool-max"', file: true },
    { name: "listen", value: "::1", where: 'f:2:13: "listen"', file: true },
    { name: "listen", value: "[::1]:2", where: 'f:2:20: "listen"', file: true },
  ]);
});

Deno.test("formatConfig: --check output loads back to an equal configuration", () => {
  const configs = [
    flags([]),
    flags([
      "--listen",
      "[::]:3128",
      "--listen",
      "localhost:3129",
      "--workers",
      "8",
      "--connect-ports",
      "*",
      "--allow-client",
      "10.0.0.1",
      "--deny-client",
      "10.0.0.0/8",
      "--allow-client",
      "0.0.0.0/0",
      "--deny-host",
      "*.ads.example",
      "--allow-host",
      "*",
      "--deny-private",
      "--auth-file",
      "users.txt",
      "--auth-realm",
      "a realm",
      "--via-name",
      "edge",
      "--no-via",
      "--log-level",
      "warning",
      "--drain-timeout",
      "0.001",
      "--stall-timeout",
      "1.5",
      "--pool-max",
      "0",
      "--root",
      "site",
      "--no-forward",
      "--dir-listing",
      "--fallback",
      "200.html",
      "--cache-size",
      "16MiB",
      "--cache-max-object",
      "64k",
      "--cache-max-stale",
      "60",
      "--allow-purge",
      "127.0.0.1",
      "--allow-purge",
      "10.0.0.0/8",
      "--access-log-format",
      "json",
      "--access-log",
      "/var/log/sluice/access.log",
      "--admin-listen",
      "[::1]:9090",
      "--admin-allow",
      "192.168.0.0/16",
    ]),
    flags(["--connect-ports", "8443,443", "--deny-client", "1.2.3.4"]),
    flags([
      "--upstream",
      "http://127.0.0.1:8000",
      "--upstream",
      "http://[::1]",
      "--upstream-host",
      "app.example",
      "--trusted-proxy",
      "10.0.0.0/8",
      "--trusted-proxy",
      "::1",
      "--upstream-down-time",
      "2.5",
      "--no-forward",
      "--parent",
      "http://proxy.campus.example:3128",
      "--no-parent",
      "*.campus.example",
      "--no-parent",
      "10.0.0.0/8:22",
    ]),
  ];
  for (const config of configs) {
    const text = formatConfig({ ...config, configFile: FILE });
    assert.deepEqual(load(text), { ...config, configFile: FILE }, text);
  }
  // a --parent password is printed as ***, and the file is refused until it is put back
  const secret = flags(["--parent", "http://lab:s%40cret@proxy:3128"]);
  const shown = formatConfig({ ...secret, configFile: FILE });
  assert.ok(!shown.includes("cret"), shown);
  assert.match(
    shown,
    /\n {2}\/\/ \(the password is not shown.*\n {2}"parent": "http:\/\/lab:\*\*\*@proxy:3128",/,
  );
  assert.throws(() => load(shown), {
    name: "ConfigFileError",
    message:
      /"parent": the password is "\*\*\*", as --check prints it: put the real password back$/,
  });
  const restored = shown.replace("lab:***@", "lab:s%40cret@");
  assert.deepEqual(load(restored), { ...secret, configFile: FILE });
  const text = formatConfig(configs[1]);
  assert.match(
    text,
    /"client-rules": \[\{ "allow": "10\.0\.0\.1" \}, \{ "deny": "10\.0\.0\.0\/8" \}/,
  );
  assert.match(text, /"deny-host": \["\*\.ads\.example"\],\n.*\n {2}"allow-host": \["\*"\]/);
  assert.match(text, /"drain-timeout": 0\.001,/);
  // every option a file may hold appears (port only as a note)
  for (const o of OPTIONS) {
    if (o.file === false || o.name === "port") continue;
    const named = text.includes(`"${o.name}":`) ||
      (o.rule && text.includes(`"${o.rule.family}-rules":`));
    assert.ok(named, o.name);
  }
});

Deno.test("ConfigFileError is a ConfigError", () => {
  assert.ok(new ConfigFileError("x") instanceof ConfigError);
});
