/**
 * The address gate of lib/upstream/dial.ts, with a scripted resolver and
 * connect: refused addresses are skipped and never dialled; when all are
 * refused the first refusal is the answer; after a connect by name (a
 * name-scoped sandbox) the address Deno reached is checked.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ProxyError } from "../../lib/errors.ts";
import { dial } from "../../lib/upstream/dial.ts";

/** A connection stand-in that only knows its remote address and whether it was closed. */
function fakeConn(hostname: string): Deno.TcpConn & { closedFlag: boolean } {
  const c = {
    closedFlag: false,
    remoteAddr: { transport: "tcp", hostname, port: 80 },
    setNoDelay() {},
    close() {
      c.closedFlag = true;
    },
  };
  return c as unknown as Deno.TcpConn & { closedFlag: boolean };
}

const refuse = (addr: string) =>
  addr.startsWith("10.") ? new ProxyError(403, "private-address", `no ${addr}`) : null;

Deno.test("dial gate: refused addresses are skipped, the next one is dialled", async () => {
  const tried: string[] = [];
  const conn = await dial("intranet.test", 80, {
    signal: new AbortController().signal,
    timeoutMs: 1000,
    resolve: () => Promise.resolve(["10.0.0.1", "192.0.2.7"]),
    connect: (o) => {
      tried.push(o.hostname!);
      return Promise.resolve(fakeConn(o.hostname!));
    },
    gate: refuse,
  });
  assert.deepEqual(tried, ["192.0.2.7"]);
  assert.equal((conn.remoteAddr as Deno.NetAddr).hostname, "192.0.2.7");
});

Deno.test("dial gate: every address refused -> the first refusal, nothing dialled", async () => {
  const tried: string[] = [];
  await assert.rejects(
    dial("intranet.test", 80, {
      signal: new AbortController().signal,
      timeoutMs: 1000,
      resolve: () => Promise.resolve(["10.0.0.1", "10.0.0.2"]),
      connect: (o) => {
        tried.push(o.hostname!);
        return Promise.resolve(fakeConn(o.hostname!));
      },
      gate: refuse,
    }),
    (e: ProxyError) =>
      e.status === 403 && e.reason === "private-address" && e.message === "no 10.0.0.1",
  );
  assert.deepEqual(tried, []);
});

Deno.test("dial gate: after a connect by name, the address reached is checked and closed if refused", async () => {
  const reached: (Deno.TcpConn & { closedFlag: boolean })[] = [];
  await assert.rejects(
    dial("intranet.test", 80, {
      signal: new AbortController().signal,
      timeoutMs: 1000,
      // a name-scoped sandbox: the address is refused by Deno, the name is not
      resolve: () => Promise.resolve(["192.0.2.7"]),
      connect: (o) => {
        if (o.hostname === "192.0.2.7") return Promise.reject(new Deno.errors.NotCapable("no"));
        const c = fakeConn("10.9.9.9"); // DNS answered differently this time
        reached.push(c);
        return Promise.resolve(c);
      },
      gate: refuse,
    }),
    (e: ProxyError) => e.reason === "private-address" && e.message === "no 10.9.9.9",
  );
  assert.equal(reached.length, 1, "the name was dialled once");
  assert.equal(reached[0].closedFlag, true, "the refused connection was closed");
});
