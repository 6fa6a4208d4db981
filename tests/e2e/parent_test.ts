/**
 * `--parent` through the real CLI: two sluice processes chained (the child
 * started with `--parent http://127.0.0.1:PARENT_PORT`), as a lab machine
 * behind a campus proxy. Plain requests reach the origin through the
 * parent's absolute-form request (its access line, and `Via` on both sides
 * with both hops); CONNECT goes through the parent's CONNECT; credentials in
 * the URL become `Proxy-Authorization` and never reach the child's log; the
 * parent's 407 is relayed and marked `parent-refused`; `--no-parent` goes
 * direct, like `no_proxy`.
 *
 * NEEDS WIRING: every test here fails until `--parent` / `--no-parent` are
 * wired into the forwarder (lib/upstream/parent.ts provides the pieces).
 */

import assert from "node:assert/strict";
import { assertAccessLine, delay } from "./harness.ts";
import {
  accessLines,
  ask,
  authFile,
  echoTarget,
  get,
  origin,
  tunnel,
  via,
  withChain,
  withTempDir,
} from "./parent_fixture.ts";

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// NEEDS WIRING (--parent): plain requests go to the parent in absolute-form.
Deno.test("chain: a GET through the child reaches the origin via the parent; Via shows both hops", async () => {
  const o = origin();
  try {
    await withChain({}, async (parent, child) => {
      const r = await ask(child.port, get(o.port, "/hello?x=1"));
      assert.equal(r.status, 200, r.head + r.text);
      assert.equal(r.text, "ok");
      // the response came back through both: the parent's hop, then the child's
      assert.equal(via(r.head), "1.1 parent, 1.1 child");
      assert.equal(o.heads.length, 1);
      assert.match(o.heads[0], /^GET \/hello\?x=1 HTTP\/1\.1\r\n/); // the parent sends origin-form
      assert.equal(via(o.heads[0]), "1.1 child, 1.1 parent");
      assert.doesNotMatch(o.heads[0], /proxy-authorization/i);
      // the parent got the absolute-form request from the child
      const target = esc(`http://127.0.0.1:${o.port}/hello?x=1`);
      await assertAccessLine(parent, `GET ${target} 200 .*`);
      await assertAccessLine(child, `GET ${target} 200 .*`);
    });
  } finally {
    await o.close();
  }
});

// NEEDS WIRING (--parent): CONNECT goes through the parent's CONNECT.
Deno.test("chain: a CONNECT through the child is tunnelled through the parent's CONNECT", async () => {
  const echo = echoTarget();
  try {
    await withChain({}, async (parent, child) => {
      const t = await tunnel(child.port, echo.port);
      assert.equal(t.status, 200, t.head + t.body);
      assert.ok(t.echoed, "256 KiB went through the tunnel and came back intact");
      assert.equal(echo.accepted, 1);
      const target = esc(`127.0.0.1:${echo.port}`);
      await assertAccessLine(parent, `CONNECT ${target} 200 .*`);
      await assertAccessLine(child, `CONNECT ${target} 200 .*`);
    });
  } finally {
    await echo.close();
  }
});

// NEEDS WIRING (--parent with credentials): the URL's user:pass becomes
// Proxy-Authorization on every request and CONNECT to the parent.
Deno.test("credentials: alice:secret in --parent gets through the parent's --auth-file; the child never logs it", async () => {
  const o = origin();
  const echo = echoTarget();
  try {
    await withTempDir(async (dir) => {
      const file = await authFile(dir, "alice", "secret");
      await withChain({
        parent: ["--auth-file", file],
        parentFlags: [`--allow-read=${file}`],
        url: (port) => `http://alice:secret@127.0.0.1:${port}`,
        child: ["--log-level", "debug"],
      }, async (parent, child) => {
        const r = await ask(child.port, get(o.port));
        assert.equal(r.status, 200, r.head + r.text);
        assert.equal(via(o.heads[0]), "1.1 child, 1.1 parent");
        const t = await tunnel(child.port, echo.port);
        assert.equal(t.status, 200, t.head + t.body);
        assert.ok(t.echoed);
        await assertAccessLine(
          parent,
          `GET ${esc(`http://127.0.0.1:${o.port}/`)} 200 .* user=alice`,
        );
        await assertAccessLine(
          parent,
          `CONNECT ${esc(`127.0.0.1:${echo.port}`)} 200 .* user=alice`,
        );
        await assertAccessLine(child, `CONNECT ${esc(`127.0.0.1:${echo.port}`)} 200 .*`);
        for (const secret of ["secret", btoa("alice:secret")]) {
          assert.ok(!child.log().includes(secret), `the child logged ${secret}:\n${child.log()}`);
        }
      });
    });
  } finally {
    await o.close();
    await echo.close();
  }
});

// NEEDS WIRING (--parent refusals): the parent's 407 is relayed, marked parent-refused.
Deno.test("credentials: with a wrong password the parent's 407 reaches the client, the child's line says parent-refused", async () => {
  const o = origin();
  const echo = echoTarget();
  const wrong = "not-the-password-9f3";
  try {
    await withTempDir(async (dir) => {
      const file = await authFile(dir, "alice", "secret");
      await withChain({
        // no rate limit: every failed login here is deliberate
        parent: ["--auth-file", file, "--auth-max-failures", "0"],
        parentFlags: [`--allow-read=${file}`],
        url: (port) => `http://alice:${wrong}@127.0.0.1:${port}`,
        child: ["--log-level", "debug"],
      }, async (parent, child) => {
        const r = await ask(child.port, get(o.port));
        assert.equal(r.status, 407, r.head + r.text);
        const t = await tunnel(child.port, echo.port);
        assert.equal(t.status, 407, t.head + t.body);
        assert.equal(o.accepted, 0);
        assert.equal(echo.accepted, 0);
        await assertAccessLine(
          parent,
          `GET ${esc(`http://127.0.0.1:${o.port}/`)} 407 .* auth-failed.*`,
        );
        await assertAccessLine(
          child,
          `GET ${esc(`http://127.0.0.1:${o.port}/`)} 407 .* parent-refused`,
        );
        await assertAccessLine(
          child,
          `CONNECT ${esc(`127.0.0.1:${echo.port}`)} 407 .* parent-refused`,
        );
        for (const secret of [wrong, btoa(`alice:${wrong}`)]) {
          assert.ok(!child.log().includes(secret), `the child logged ${secret}:\n${child.log()}`);
        }
      });
    });
  } finally {
    await o.close();
    await echo.close();
  }
});

// NEEDS WIRING (--parent): the client's own Proxy-Authorization is for the child only.
Deno.test("credentials: the client's Proxy-Authorization is never passed on to the parent", async () => {
  const o = origin();
  try {
    await withTempDir(async (dir) => {
      const file = await authFile(dir, "alice", "secret");
      await withChain({
        parent: ["--auth-file", file, "--auth-max-failures", "0"],
        parentFlags: [`--allow-read=${file}`],
      }, async (parent, child) => {
        // good credentials for the parent, sent by the client: the child must drop them
        const creds = `Proxy-Authorization: Basic ${btoa("alice:secret")}\r\n`;
        const r = await ask(child.port, get(o.port, "/", creds));
        assert.equal(r.status, 407, r.head + r.text);
        assert.equal(o.accepted, 0);
        await assertAccessLine(
          parent,
          `GET ${esc(`http://127.0.0.1:${o.port}/`)} 407 .* auth-required`,
        );
      });
    });
  } finally {
    await o.close();
  }
});

// NEEDS WIRING (--no-parent): a matching destination is reached directly.
Deno.test("--no-parent: matching destinations go direct (the parent sees nothing), others through the parent", async () => {
  const direct = origin();
  const viaParent = origin();
  const echo = echoTarget();
  try {
    await withChain({
      child: [
        "--no-parent",
        `127.0.0.1:${direct.port}`,
        "--no-parent",
        `127.0.0.1:${echo.port}`,
        "--no-parent",
        "*.example.test",
      ],
    }, async (parent, child) => {
      const r = await ask(child.port, get(direct.port));
      assert.equal(r.status, 200, r.head + r.text);
      assert.equal(via(direct.heads[0]), "1.1 child");
      assert.equal(via(r.head), "1.1 child");
      const t = await tunnel(child.port, echo.port);
      assert.equal(t.status, 200, t.head + t.body);
      assert.ok(t.echoed);
      // the same child still uses the parent for the rest
      const other = await ask(child.port, get(viaParent.port));
      assert.equal(other.status, 200, other.head + other.text);
      assert.equal(via(viaParent.heads[0]), "1.1 child, 1.1 parent");
      await assertAccessLine(parent, `GET ${esc(`http://127.0.0.1:${viaParent.port}/`)} 200 .*`);
      await assertAccessLine(child, `CONNECT ${esc(`127.0.0.1:${echo.port}`)} 200 .*`);
      await delay(200); // any late line of the parent would be in by now
      const lines = accessLines(parent);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.ok(lines[0].includes(`:${viaParent.port}/`), lines[0]);
    });
  } finally {
    await direct.close();
    await viaParent.close();
    await echo.close();
  }
});
