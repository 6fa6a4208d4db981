/**
 * The access policy (lib/policy/policy.ts) without sockets: client admission,
 * the Via loop check, proxy authentication, destination rules before DNS and
 * the per-address gate behind --deny-private.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AuthRequiredError, ProxyError } from "../../lib/errors.ts";
import { HeaderList } from "../../lib/http1/headers.ts";
import { hashPassword, ProxyAuth } from "../../lib/policy/auth.ts";
import { Policy, type PolicyConfig } from "../../lib/policy/policy.ts";
import type { RuleSpec } from "../../lib/policy/rule.ts";

const allow = (value: string): RuleSpec => ({ action: "allow", value });
const deny = (value: string): RuleSpec => ({ action: "deny", value });

function policy(over: Partial<PolicyConfig> = {}, auth: ProxyAuth | null = null): Policy {
  return new Policy(
    { clientRules: [], hostRules: [], denyPrivate: false, viaName: "sluice", ...over },
    auth,
  );
}

function headers(...fields: [string, string][]): HeaderList {
  const h = new HeaderList();
  for (const [n, v] of fields) h.append(n, v);
  return h;
}

function assertRefusal(e: ProxyError | null, status: number, reason: string, message: RegExp) {
  assert.ok(e instanceof ProxyError, "expected a refusal");
  assert.equal(e.status, status);
  assert.equal(e.reason, reason);
  assert.match(e.message, message);
}

Deno.test("admitClient: no rules admits everyone", () => {
  const p = policy();
  assert.equal(p.hasClientAllowRules, false);
  assert.equal(p.admitClient("203.0.113.9"), null);
  assert.equal(p.admitClient("::1"), null);
});

Deno.test("admitClient: 403 client-denied naming the rule and the flag that allows it", () => {
  const p = policy({ clientRules: [deny("10.0.0.0/8"), allow("0.0.0.0/0")] });
  assert.equal(p.hasClientAllowRules, true);
  assert.equal(policy({ clientRules: [deny("10.0.0.0/8")] }).hasClientAllowRules, false);
  assertRefusal(
    p.admitClient("10.1.2.3"),
    403,
    "client-denied",
    /^Client 10\.1\.2\.3 may not use this proxy \(--deny-client 10\.0\.0\.0\/8\); .*--allow-client 10\.1\.2\.3$/,
  );
  assert.equal(p.admitClient("192.0.2.1"), null);
  // an IPv4 client on a [::] listener arrives IPv4-mapped; it is named as IPv4
  assertRefusal(
    p.admitClient("::ffff:10.9.9.9"),
    403,
    "client-denied",
    /^Client 10\.9\.9\.9 .*--deny-client.*--allow-client 10\.9\.9\.9$/,
  );
});

Deno.test("admitClient: with an allow rule the default is deny", () => {
  const p = policy({ clientRules: [allow("127.0.0.1")] });
  assert.equal(p.admitClient("127.0.0.1"), null);
  assertRefusal(p.admitClient("127.0.0.2"), 403, "client-denied", /default/);
});

Deno.test("checkLoop: our name as received-by in any Via element is a loop (508)", () => {
  const p = policy({ viaName: "Edge1" });
  assert.equal(p.checkLoop(headers()), null);
  assert.equal(p.checkLoop(headers(["Via", "1.1 other, 1.0 sluice"])), null);
  assert.equal(p.checkLoop(headers(["Via", "1.1 edge10"])), null, "a longer name is another proxy");
  assert.equal(p.checkLoop(headers(["Via", "edge1"])), null, "a lone token is the protocol");
  // commas and names inside a comment are not hops
  assert.equal(p.checkLoop(headers(["Via", "1.1 cache (Squid, via edge1 gw)"])), null);
  assert.equal(p.checkLoop(headers(["Via", "1.1 a (x (y, edge1) \\) edge1), 1.0 b"])), null);
  for (
    const via of [
      "1.1 edge1",
      "1.0 a, 1.1 EDGE1 (sluice/0.1)",
      "HTTP/1.1\tedge1",
      "1.1 a (c, d), 1.1 edge1",
    ]
  ) {
    assertRefusal(
      p.checkLoop(headers(["Via", via])),
      508,
      "loop-detected",
      /already passed through edge1 .*--via-name/,
    );
  }
  // in a second Via field line too
  assertRefusal(
    p.checkLoop(headers(["Via", "1.1 a"], ["Via", "1.1 edge1"])),
    508,
    "loop-detected",
    /edge1/,
  );
});

Deno.test("authenticate: off without an auth file; 407 without, with wrong and with good credentials", async () => {
  assert.equal(await policy().authenticate(headers()), null);
  const users = new Map([["alice", await hashPassword("s3cret", 4)]]);
  const p = policy({}, new ProxyAuth(users, "Lab 3"));
  assert.equal(p.authenticates, true);
  const basic = (s: string) => `Basic ${btoa(s)}`;
  const required = await p.authenticate(headers()).catch((e) => e);
  assert.ok(required instanceof AuthRequiredError);
  assert.equal(required.status, 407);
  assert.equal(required.reason, "auth-required");
  assert.equal(required.challenge, 'Basic realm="Lab 3", charset="UTF-8"');
  for (const value of [basic("alice:wrong"), basic("bob:s3cret"), "Basic !!!"]) {
    const e = await p.authenticate(headers(["Proxy-Authorization", value])).catch((e) => e);
    assert.ok(e instanceof AuthRequiredError, value);
    assert.equal(e.reason, "auth-failed");
    assert.match(e.message, /unknown user or wrong password/);
  }
  const twice = await p.authenticate(
    headers(["Proxy-Authorization", basic("alice:s3cret")], [
      "Proxy-Authorization",
      basic("alice:s3cret"),
    ]),
  ).catch((e) => e);
  assert.equal((twice as ProxyError).reason, "auth-failed", "two credentials are refused");
  assert.equal(
    await p.authenticate(headers(["Proxy-Authorization", basic("alice:s3cret")])),
    "alice",
  );
});

Deno.test("checkTarget: name rules decide before DNS; address rules wait for the address", () => {
  const p = policy({ hostRules: [deny("*.example.com"), allow("example.org:443")] });
  assert.throws(
    () => p.checkTarget("www.example.com", 80),
    (e: ProxyError) =>
      e.status === 403 && e.reason === "host-denied" &&
      /www\.example\.com:80 are refused by --deny-host \*\.example\.com; change/.test(e.message),
  );
  p.checkTarget("example.org", 443);
  assert.throws(
    () => p.checkTarget("example.org", 80),
    (e: ProxyError) =>
      /by default \(no --allow-host rule matched\); add --allow-host example\.org/.test(e.message),
  );
  // an address rule cannot decide for a name before DNS: no throw here
  policy({ hostRules: [deny("10.0.0.0/8")] }).checkTarget("intranet.test", 80);
});

Deno.test("gate: null when no rule looks at addresses", () => {
  assert.equal(policy().gate("example.com", 80), null);
  assert.equal(policy({ hostRules: [deny("*.example.com")] }).gate("x.example.com", 80), null);
});

Deno.test("gate: an address rule catches a name by the address it resolved to", () => {
  const gate = policy({ hostRules: [deny("10.0.0.0/8")] }).gate("intranet.test", 80);
  assert.ok(gate);
  assertRefusal(
    gate("10.1.1.1"),
    403,
    "host-denied",
    /intranet\.test:80 \(10\.1\.1\.1\) are refused by --deny-host 10\.0\.0\.0\/8/,
  );
  assert.equal(gate("192.0.2.10"), null);
});

Deno.test("gate: --deny-private refuses every non-public address, named in the message", () => {
  const gate = policy({ denyPrivate: true }).gate("localhost", 8080);
  assert.ok(gate);
  const cases: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["10.0.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["fd00:ec2::254", "unique-local"],
    ["224.0.0.1", "multicast"],
    ["0.1.2.3", "unspecified"],
    ["::ffff:192.168.1.1", "private"],
  ];
  for (const [addr, kind] of cases) {
    const an = kind === "unspecified" ? "an" : "a";
    assertRefusal(
      gate(addr),
      403,
      "private-address",
      new RegExp(
        `resolves to ${
          addr.replaceAll(".", "\\.")
        }, ${an} ${kind} address, refused by --deny-private`,
      ),
    );
  }
  assert.match(gate("::1")!.message, /--allow-host \[::1\]$/);
  assert.equal(gate("93.184.215.14"), null);
  assert.equal(gate("2606:2800:21f:cb07::1"), null);
});

Deno.test("gate: an --allow-host address rule opens a private address; a name rule does not", () => {
  const byAddress = policy({
    denyPrivate: true,
    hostRules: [allow("127.0.0.1"), allow("localhost")],
  });
  assert.equal(byAddress.gate("localhost", 80)!("127.0.0.1"), null);
  assert.equal(byAddress.gate("127.0.0.1", 80)!("127.0.0.1"), null);
  // localhost is allowed by name, but its other address is private and not opened
  assertRefusal(byAddress.gate("localhost", 80)!("::1"), 403, "private-address", /::1/);
  const byName = policy({ denyPrivate: true, hostRules: [allow("localhost")] });
  assertRefusal(byName.gate("localhost", 80)!("127.0.0.1"), 403, "private-address", /127\.0\.0\.1/);
  // a port-qualified address rule opens that port only
  const port = policy({
    denyPrivate: true,
    hostRules: [allow("10.0.0.0/8:8080"), allow("*.test")],
  });
  assert.equal(port.gate("a.test", 8080)!("10.2.3.4"), null);
  assertRefusal(port.gate("a.test", 22)!("10.2.3.4"), 403, "private-address", /10\.2\.3\.4/);
});

Deno.test("Policy: a bad rule throws RuleError naming the flag", () => {
  assert.throws(() => policy({ clientRules: [allow("10.0.0.300")] }), /--allow-client/);
  assert.throws(() => policy({ hostRules: [deny("bad host!")] }), /--deny-host/);
});

Deno.test("gate: 0.0.0.0 and :: are refused as the loopback they reach, and opened with it", () => {
  const gate = policy({ denyPrivate: true }).gate("0", 9);
  assert.ok(gate);
  const reaches = (addr: string, lo: string, fix: string) =>
    `0:9 resolves to ${addr}, which reaches the loopback address ${lo}, ` +
    `refused by --deny-private; allow it with --allow-host ${fix}`;
  assert.equal(gate("0.0.0.0")?.message, reaches("0.0.0.0", "127.0.0.1", "127.0.0.1"));
  assert.equal(
    gate("::ffff:0.0.0.0")?.message,
    reaches("::ffff:0.0.0.0", "127.0.0.1", "127.0.0.1"),
  );
  assert.equal(gate("::")?.message, reaches("::", "::1", "[::1]"));
  assert.equal(gate("::")?.reason, "private-address");
  // the exemption for loopback covers the unspecified address; so does one naming it
  for (const rule of ["127.0.0.1", "127.0.0.0/8", "0.0.0.0"]) {
    const open = policy({ denyPrivate: true, hostRules: [allow(rule)] });
    assert.equal(open.gate("0.0.0.0", 9)!("0.0.0.0"), null, rule);
    assert.equal(open.gate("0", 9)!("0.0.0.0"), null, rule);
    assertRefusal(open.gate("any.test", 9)!("::"), 403, "host-denied", /default/);
  }
  const v6 = policy({ denyPrivate: true, hostRules: [allow("[::1]")] });
  assert.equal(v6.gate("::", 9)!("::"), null);
});

Deno.test("checkTarget and gate: --deny-host 127.0.0.1 refuses 0.0.0.0, saying what it reaches", () => {
  const p = policy({ hostRules: [deny("127.0.0.1")] });
  assert.throws(
    () => p.checkTarget("0.0.0.0", 9),
    (e: ProxyError) =>
      e.reason === "host-denied" &&
      e.message ===
        "Requests to 0.0.0.0:9 (which reaches 127.0.0.1) are refused by --deny-host 127.0.0.1; " +
          "change the --allow-host/--deny-host rules to allow it",
  );
  assertRefusal(
    p.gate("0", 9)!("0.0.0.0"),
    403,
    "host-denied",
    /^Requests to 0:9 \(0\.0\.0\.0, which reaches 127\.0\.0\.1\) are refused by --deny-host 127\.0\.0\.1;/,
  );
  assert.equal(p.gate("0", 9)!("0.1.2.3"), null);
});
