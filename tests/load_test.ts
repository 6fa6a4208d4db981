/**
 * Loading everything the proxy runs with (lib/load.ts): rules compiled as
 * they are read (errors name the flag or the file key), the auth file read
 * and parsed (errors name the file, and the --allow-read it needs), and the
 * policy built from both. Files come from an in-memory map.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfigError, DEFAULT_CONFIG } from "../lib/config.ts";
import { RateLimitedError } from "../lib/errors.ts";
import { HeaderList } from "../lib/http1/headers.ts";
import { type AuthRuntime, buildPolicy, loadRuntime } from "../lib/load.ts";
import { hashPassword } from "../lib/policy/auth.ts";
import { LoginLimiter } from "../lib/policy/login_limiter.ts";

function files(map: Record<string, string>): (path: string) => Promise<string> {
  return (path) => {
    if (path in map) return Promise.resolve(map[path]);
    if (path.startsWith("/sandboxed")) return Promise.reject(new Deno.errors.NotCapable("no"));
    return Promise.reject(new Deno.errors.NotFound("no"));
  };
}

Deno.test("loadRuntime: a bad client rule on the command line names its flag", async () => {
  await assert.rejects(
    loadRuntime(["--allow-client", "10.0.0.300/8"], files({})),
    (e: Error) =>
      e instanceof ConfigError && /^Invalid --allow-client "10\.0\.0\.300\/8"/.test(e.message),
  );
});

Deno.test("loadRuntime: a bad host rule in the config file names file:line:col and key", async () => {
  const text = '{\n  // campus only\n  "allow-host": ["*.campus.edu", "bad host!"]\n}\n';
  await assert.rejects(
    loadRuntime(["--config", "s.jsonc"], files({ "s.jsonc": text })),
    (e: Error) => e instanceof ConfigError && /^s\.jsonc:3:\d+: "allow-host"/.test(e.message),
  );
});

Deno.test("loadRuntime: rules from flags and file build the policy the proxy will use", async () => {
  const text = '{ "deny-client": ["10.0.0.0/8"], "deny-private": true }';
  const r = await loadRuntime(
    ["--config", "s.jsonc", "--deny-host", "*.example.com"],
    files({ "s.jsonc": text }),
  );
  assert.equal(r.kind, "serve");
  if (r.kind !== "serve") return;
  assert.equal(r.policy.admitClient("10.1.1.1")?.reason, "client-denied");
  assert.equal(r.policy.admitClient("192.0.2.1"), null);
  assert.throws(() => r.policy.checkTarget("a.example.com", 80), /--deny-host \*\.example\.com/);
  assert.equal(r.policy.gate("x.test", 80)?.("127.0.0.1")?.reason, "private-address");
  assert.equal(r.authText, null);
  assert.equal(r.policy.authenticates, false);
});

Deno.test("loadRuntime: --auth-file is read and parsed; auth is on", async () => {
  const line = `alice:${await hashPassword("pw", 4)}\n`;
  const r = await loadRuntime(["--auth-file", "users.txt"], files({ "users.txt": line }));
  assert.equal(r.kind, "serve");
  if (r.kind !== "serve") return;
  assert.equal(r.authText, line);
  assert.equal(r.policy.authenticates, true);
});

Deno.test("loadRuntime: --check loads the auth file too (a bad one fails the check)", async () => {
  await assert.rejects(
    loadRuntime(["--check", "--auth-file", "users.txt"], files({ "users.txt": "alice:plain\n" })),
    (e: Error) => e instanceof ConfigError && /^users\.txt:1: /.test(e.message),
  );
});

Deno.test("loadRuntime: an unreadable auth file names the file and the --allow-read it needs", async () => {
  await assert.rejects(
    loadRuntime(["--auth-file", "/sandboxed/users.txt"], files({})),
    (e: Error) =>
      /^cannot read \/sandboxed\/users\.txt: the Deno sandbox does not allow it; add --allow-read=\/sandboxed\/users\.txt$/
        .test(e.message),
  );
  await assert.rejects(
    loadRuntime(["--auth-file", "missing.txt"], files({})),
    /cannot read missing\.txt: no such file/,
  );
});

Deno.test("buildPolicy: a rebuilt policy (a reload) keeps the failed-login table, with its new limits", async () => {
  const line = `alice:${await hashPassword("pw", 4)}\n`;
  let verified = 0;
  const runtime: AuthRuntime = {
    limiter: new LoginLimiter({ warn: () => {} }),
    verify: () => (verified++, Promise.resolve(false)),
  };
  const config = { ...DEFAULT_CONFIG, authFile: "users.txt", authMaxFailures: 3 };
  const wrong = new HeaderList();
  wrong.append("Proxy-Authorization", `Basic ${btoa("alice:guess")}`);
  const attempt = (p: Awaited<ReturnType<typeof buildPolicy>>) =>
    p.authenticate(wrong, "10.1.2.3").catch((e: Error) => e);
  const first = await buildPolicy(config, line, runtime);
  for (let i = 0; i < 3; i++) {
    assert.equal((await attempt(first) as Error).name, "AuthRequiredError");
  }
  assert.equal(verified, 3);
  const reloaded = await buildPolicy(config, line, runtime);
  assert.ok(await attempt(reloaded) instanceof RateLimitedError, "the reload forgot nothing");
  const higher = await buildPolicy({ ...config, authMaxFailures: 4 }, line, runtime);
  assert.equal((await attempt(higher) as Error).name, "AuthRequiredError", "the new limit applies");
  const off = await buildPolicy({ ...config, authMaxFailures: 0 }, line, runtime);
  assert.equal((await attempt(off) as Error).name, "AuthRequiredError");
  assert.equal(verified, 5);
});
