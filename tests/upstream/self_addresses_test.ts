/**
 * The proxy's own listen addresses (lib/upstream/self_addresses.ts): every
 * spelling of a listen address (tests/spellings_table.ts, from the raw
 * request target through the parser and the real resolver) is recognised,
 * wildcard listeners are reached by every local address on their port, the
 * gate puts the loop check before the policy's, and the after-connect
 * backstop catches a connection whose remote end is its own local address.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ProxyError } from "../../lib/errors.ts";
import { parseAbsoluteTarget } from "../../lib/http1/target.ts";
import { resolve } from "../../lib/upstream/dial.ts";
import { type ListenAddr, SelfAddresses } from "../../lib/upstream/self_addresses.ts";
import { spelledUrl, type Spelling, SPELLINGS } from "../spellings_table.ts";

const at = (hostname: string, port = 8080): ListenAddr => ({ hostname, port });

/** Whether a request to the spelling would be refused as a loop (every address it resolves to is self). */
async function loops(self: SelfAddresses, s: Spelling, port: number): Promise<boolean> {
  const t = parseAbsoluteTarget(spelledUrl(s, port));
  const literal = self.refusal(t.host, t.port);
  if (literal !== null) return true;
  const gate = self.gate(t.host, t.port, null);
  const addrs = await resolve(t.host, t.port);
  return addrs.every((a) => gate(a) !== null);
}

/** Checks every spelling at `port` against `want`. */
async function table(self: SelfAddresses, port: number, want: (s: Spelling) => boolean) {
  const wrong: string[] = [];
  for (const s of SPELLINGS) {
    const got = await loops(self, s, port);
    if (got !== want(s)) wrong.push(`${spelledUrl(s, port)}: ${got ? "loop" : "not a loop"}`);
  }
  assert.deepEqual(wrong, []);
}

const localhostV6 = (await resolve("localhost", 80)).some((a) => a.includes(":"));
const v4Only = (s: Spelling) => s.family === 4 && !(s.kind === "localhost" && localhostV6);

Deno.test("SelfAddresses: every spelling of 127.0.0.1:8080 and [::1]:8080 is this proxy", async () => {
  const self = new SelfAddresses([at("127.0.0.1"), at("::1")]);
  assert.equal(self.size, 2);
  await table(self, 8080, () => true);
  await table(self, 8081, () => false);
});

Deno.test("SelfAddresses: a specific listener is reached by its own address only", async () => {
  await table(new SelfAddresses([at("127.0.0.1")]), 8080, v4Only);
  await table(new SelfAddresses([at("::1")]), 8080, (s) => s.family === 6);
  const self = new SelfAddresses([at("127.0.0.1")]);
  assert.equal(self.isSelf("127.0.0.2", 8080), false);
  assert.equal(self.isSelf("0.0.0.0", 8080), true);
  assert.equal(self.isSelf("::ffff:0.0.0.0", 8080), true);
  assert.equal(self.isSelf("0.0.0.1", 8080), false);
  assert.equal(self.isSelf("example.com", 8080), false);
  assert.equal(new SelfAddresses([at("192.0.2.7")]).isSelf("192.0.2.7", 8080), true);
});

Deno.test("SelfAddresses: 0.0.0.0 is reached by every local IPv4 address on its port", async () => {
  const self = new SelfAddresses([at("0.0.0.0")], ["192.0.2.10", "fd00::2"]);
  await table(self, 8080, v4Only);
  for (const a of ["127.0.0.2", "127.255.255.254", "192.0.2.10", "::ffff:192.0.2.10"]) {
    assert.equal(self.isSelf(a, 8080), true, a);
  }
  for (const a of ["192.0.2.11", "::1", "::", "fd00::2", "8.8.8.8", "64:ff9b::7f00:1"]) {
    assert.equal(self.isSelf(a, 8080), false, a);
  }
});

Deno.test("SelfAddresses: [::] is reached by every local address of both families", async () => {
  const self = new SelfAddresses([at("::")], ["192.0.2.10", "fd00::2"]);
  await table(self, 8080, () => true);
  for (const a of ["127.0.0.2", "192.0.2.10", "::ffff:127.0.0.1", "fd00::2"]) {
    assert.equal(self.isSelf(a, 8080), true, a);
  }
  assert.equal(self.isSelf("fd00::3", 8080), false);
  // NAT64 and 6to4 forms of 127.0.0.1 go to a gateway, not to this machine
  assert.equal(self.isSelf("64:ff9b::7f00:1", 8080), false);
  assert.equal(self.isSelf("2002:7f00:1::", 8080), false);
  assert.equal(self.isSelf("fd00::2", 8081), false);
});

Deno.test("SelfAddresses: the refusal is 508 loop-detected naming the target and the listener", () => {
  const self = new SelfAddresses([at("127.0.0.1"), at("0.0.0.0", 9000)]);
  const literal = self.refusal("127.0.0.1", 8080);
  assert.ok(literal instanceof ProxyError);
  assert.equal(literal.status, 508);
  assert.equal(literal.reason, "loop-detected");
  assert.equal(
    literal.message,
    "Request loop: 127.0.0.1:8080 is this proxy itself (listening on 127.0.0.1:8080); " +
      "send it to another host",
  );
  assert.equal(
    self.refusal("localhost", 9000, "127.0.0.1")?.message,
    "Request loop: localhost:9000 (127.0.0.1) is this proxy itself (listening on 0.0.0.0:9000); " +
      "send it to another host",
  );
  assert.equal(self.refusal("::ffff:0.0.0.0", 8080)?.status, 508);
  assert.equal(self.refusal("localhost", 8080), null, "a name is checked on its addresses");
  assert.equal(self.refusal("127.0.0.1", 8081), null);
});

Deno.test("SelfAddresses.gate: the loop check comes first, then the policy's gate", () => {
  const self = new SelfAddresses([at("127.0.0.1")]);
  const policy = (a: string) => a === "10.0.0.1" ? new ProxyError(403, "host-denied", "no") : null;
  const gate = self.gate("app.test", 8080, policy);
  assert.equal(gate("127.0.0.1")?.reason, "loop-detected");
  assert.equal(gate("0.0.0.0")?.reason, "loop-detected");
  assert.equal(gate("10.0.0.1")?.reason, "host-denied");
  assert.equal(gate("192.0.2.1"), null);
  assert.equal(self.gate("app.test", 8080, null)("192.0.2.1"), null);
});

/** A connection stand-in with only its addresses. */
function conn(local: string, remote: string, remotePort = 8080, transport = "tcp") {
  return {
    localAddr: { transport, hostname: local, port: 40000 },
    remoteAddr: { transport, hostname: remote, port: remotePort },
  };
}

Deno.test("SelfAddresses.checkConnection: the backstop for local addresses not known up front", () => {
  // no interface addresses known (no --allow-sys): 192.0.2.10 is not known to be ours
  const self = new SelfAddresses([at("0.0.0.0"), at("127.0.0.1", 9000)]);
  assert.equal(self.isSelf("192.0.2.10", 8080), false);
  const e = self.checkConnection(conn("192.0.2.10", "192.0.2.10"), "me.test", 8080);
  assert.equal(e?.status, 508);
  assert.equal(
    e?.message,
    "Request loop: me.test:8080 (192.0.2.10) is this proxy itself (listening on 0.0.0.0:8080); " +
      "send it to another host",
  );
  assert.equal(
    self.checkConnection(conn("::ffff:192.0.2.10", "::ffff:192.0.2.10"), "me.test", 8080)?.status,
    508,
  );
  // a known listen address is caught by its remote address alone
  assert.equal(self.checkConnection(conn("127.0.0.1", "127.0.0.1", 9000), "x", 9000)?.status, 508);
  // another server on this machine, on a port or address family no wildcard listener holds
  assert.equal(self.checkConnection(conn("192.0.2.10", "192.0.2.10", 8081), "x", 8081), null);
  assert.equal(self.checkConnection(conn("fd00::2", "fd00::2"), "x", 8080), null);
  // an origin elsewhere, and connections without addresses (tests' stand-ins)
  assert.equal(self.checkConnection(conn("192.0.2.10", "192.0.2.20"), "x", 8080), null);
  assert.equal(self.checkConnection(conn("a", "a", 8080, "unix"), "x", 8080), null);
  assert.equal(self.checkConnection({}, "x", 8080), null);
});

Deno.test("SelfAddresses.ofListeners: with --allow-sys the interface addresses are known", () => {
  const self = SelfAddresses.ofListeners([at("::")]);
  for (const i of Deno.networkInterfaces()) assert.equal(self.isSelf(i.address, 8080), true);
});
