/**
 * Squid (the Debian package) as sluice's `--parent`: the setup of a lab
 * machine behind a campus proxy. Squid runs from a minimal temp config
 * (parent_fixture.ts `withSquid`); a GET and a CONNECT through sluice reach
 * their targets through it, and with Squid's Basic authentication the URL's
 * credentials get through while a wrong password gets Squid's 407 relayed.
 * Skipped where `squid` (or, for the authentication test, its
 * `basic_ncsa_auth` helper and `openssl`) is not installed.
 *
 * NEEDS WIRING: every test here fails until `--parent` is wired into the
 * forwarder (lib/upstream/parent.ts provides the pieces).
 */

import assert from "node:assert/strict";
import { assertAccessLine, type ProxyProcess, withSpawnedProxy } from "./harness.ts";
import {
  ask,
  echoTarget,
  get,
  htpasswdLine,
  isFile,
  origin,
  SQUID_BASIC_AUTH,
  SQUID_NAME,
  tunnel,
  via,
  which,
  withSquid,
  withTempDir,
} from "./parent_fixture.ts";

const NO_SQUID = which("squid") === null;
const NO_SQUID_AUTH = NO_SQUID || which("openssl") === null || !isFile(SQUID_BASIC_AUTH);

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs `fn` with sluice `--parent URL` (`--via-name child`, any CONNECT port). */
function withChild(url: string, fn: (p: ProxyProcess) => Promise<void>): Promise<void> {
  return withSpawnedProxy(
    ["--listen", "127.0.0.1:0", "--connect-ports", "*", "--via-name", "child", "--parent", url],
    fn,
  );
}

// NEEDS WIRING (--parent), and squid installed.
Deno.test({
  name: "squid as the parent: a GET and a CONNECT through sluice --parent; Via shows squid",
  ignore: NO_SQUID,
  fn: async () => {
    const o = origin();
    const echo = echoTarget();
    try {
      await withTempDir((dir) =>
        withSquid(dir, (squidPort) =>
          withChild(`http://127.0.0.1:${squidPort}`, async (child) => {
            const r = await ask(child.port, get(o.port, "/lab"));
            assert.equal(r.status, 200, r.head + r.text);
            assert.equal(r.text, "ok");
            // the origin saw both hops; the client sees Squid's hop, then sluice's
            assert.match(via(o.heads[0]), new RegExp(`^1\\.1 child, 1\\.1 ${SQUID_NAME} \\(squid`));
            assert.match(
              via(r.head),
              new RegExp(`^1\\.1 ${SQUID_NAME} \\(squid/[^)]*\\), 1\\.1 child$`),
            );
            const t = await tunnel(child.port, echo.port);
            assert.equal(t.status, 200, t.head + t.body);
            assert.ok(t.echoed, "256 KiB went through sluice and squid and came back intact");
            assert.equal(echo.accepted, 1);
            await assertAccessLine(child, `GET ${esc(`http://127.0.0.1:${o.port}/lab`)} 200 .*`);
            await assertAccessLine(child, `CONNECT ${esc(`127.0.0.1:${echo.port}`)} 200 .*`);
          }))
      );
    } finally {
      await o.close();
      await echo.close();
    }
  },
});

// NEEDS WIRING (--parent with credentials), and squid, basic_ncsa_auth and openssl installed.
Deno.test({
  name:
    "squid with Basic auth as the parent: the URL's credentials get through, a wrong password gets squid's 407",
  ignore: NO_SQUID_AUTH,
  fn: async () => {
    const o = origin();
    const echo = echoTarget();
    try {
      await withTempDir(async (dir) => {
        const users = `${dir}/passwd`;
        await Deno.writeTextFile(users, `${await htpasswdLine("alice", "s3cret pass")}\n`);
        await Deno.chmod(users, 0o644); // squid's helper runs as squid's user
        await withSquid(dir, async (squidPort) => {
          // the space in the password is percent-encoded in the URL
          await withChild(`http://alice:s3cret%20pass@127.0.0.1:${squidPort}`, async (child) => {
            const r = await ask(child.port, get(o.port));
            assert.equal(r.status, 200, r.head + r.text);
            const t = await tunnel(child.port, echo.port);
            assert.equal(t.status, 200, t.head + t.body);
            assert.ok(t.echoed);
            assert.ok(!child.log().includes("s3cret"), child.log());
          });
          await withChild(`http://alice:wrong@127.0.0.1:${squidPort}`, async (child) => {
            const r = await ask(child.port, get(o.port, "/again"));
            assert.equal(r.status, 407, r.head + r.text);
            assert.match(r.head, /^Server: squid/m);
            const t = await tunnel(child.port, echo.port);
            assert.equal(t.status, 407, t.head + t.body);
            await assertAccessLine(
              child,
              `GET ${esc(`http://127.0.0.1:${o.port}/again`)} 407 .* parent-refused`,
            );
            await assertAccessLine(
              child,
              `CONNECT ${esc(`127.0.0.1:${echo.port}`)} 407 .* parent-refused`,
            );
          });
        }, users);
      });
      assert.equal(o.heads.length, 1, "only the authenticated GET reached the origin");
      assert.equal(echo.accepted, 1, "only the authenticated CONNECT reached the target");
    } finally {
      await o.close();
      await echo.close();
    }
  },
});
