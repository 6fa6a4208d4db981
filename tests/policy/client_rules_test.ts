import assert from "node:assert/strict";
import { ClientRules } from "../../lib/policy/client_rules.ts";
import { type Decision, RuleError, type RuleSpec } from "../../lib/policy/rule.ts";

const allow = (value: string): RuleSpec => ({ action: "allow", value });
const deny = (value: string): RuleSpec => ({ action: "deny", value });

/** Asserts that building the rules throws a RuleError with exactly `message`. */
function throwsRule(specs: RuleSpec[], message: string): void {
  assert.throws(() => new ClientRules(specs), (e: unknown) => {
    assert.ok(e instanceof RuleError, `expected RuleError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** Checks each `[ip, allowed, rule]` row against `rules`. */
function expect(rules: ClientRules, rows: [string, boolean, string][]): void {
  for (const [ip, allowed, rule] of rows) {
    assert.deepEqual(rules.check(ip), { allowed, rule } satisfies Decision, ip);
  }
}

Deno.test("ClientRules: no rules allows everyone", () => {
  const rules = new ClientRules([]);
  assert.equal(rules.size, 0);
  assert.equal(rules.hasAllowRules, false);
  expect(rules, [
    ["127.0.0.1", true, "default (no rules)"],
    ["::1", true, "default (no rules)"],
    ["203.0.113.9", true, "default (no rules)"],
  ]);
});

Deno.test("ClientRules: only deny rules; unmatched clients are allowed", () => {
  const rules = new ClientRules([deny("10.0.0.0/8"), deny("[fd00::]/8")]);
  assert.equal(rules.size, 2);
  assert.equal(rules.hasAllowRules, false);
  expect(rules, [
    ["10.0.0.0", false, "--deny-client 10.0.0.0/8"],
    ["10.255.255.255", false, "--deny-client 10.0.0.0/8"],
    ["9.255.255.255", true, "default (no rules)"],
    ["11.0.0.0", true, "default (no rules)"],
    ["fd12::1", false, "--deny-client [fd00::]/8"],
    ["fe00::1", true, "default (no rules)"],
  ]);
});

Deno.test("ClientRules: any allow rule makes the default deny", () => {
  const rules = new ClientRules([deny("10.9.0.0/16"), allow("10.0.0.0/8")]);
  assert.equal(rules.hasAllowRules, true);
  expect(rules, [
    ["10.1.2.3", true, "--allow-client 10.0.0.0/8"],
    ["192.168.1.1", false, "default (no --allow-client rule matched)"],
    ["::1", false, "default (no --allow-client rule matched)"],
  ]);
});

Deno.test("ClientRules: the first match wins", () => {
  const denyFirst = new ClientRules([deny("10.9.0.0/16"), allow("10.0.0.0/8")]);
  const allowFirst = new ClientRules([allow("10.0.0.0/8"), deny("10.9.0.0/16")]);
  expect(denyFirst, [
    ["10.9.1.1", false, "--deny-client 10.9.0.0/16"],
    ["10.8.255.255", true, "--allow-client 10.0.0.0/8"],
    ["10.10.0.0", true, "--allow-client 10.0.0.0/8"],
  ]);
  expect(allowFirst, [["10.9.1.1", true, "--allow-client 10.0.0.0/8"]]);
});

Deno.test("ClientRules: IPv4-mapped client addresses match IPv4 rules", () => {
  const rules = new ClientRules([deny("10.0.0.0/8"), allow("127.0.0.1"), allow("0.0.0.0/0")]);
  expect(rules, [
    ["::ffff:10.1.2.3", false, "--deny-client 10.0.0.0/8"],
    ["::FFFF:a01:203", false, "--deny-client 10.0.0.0/8"],
    ["::ffff:127.0.0.1", true, "--allow-client 127.0.0.1"],
    ["::ffff:127.0.0.2", true, "--allow-client 0.0.0.0/0"],
    // An IPv4 rule does not reach real IPv6 clients, nor IPv4-compatible ::a.b.c.d.
    ["::1", false, "default (no --allow-client rule matched)"],
    ["::10.1.2.3", false, "default (no --allow-client rule matched)"],
  ]);
});

Deno.test("ClientRules: IPv6 rules, with or without brackets, and mapped IPv6 rules", () => {
  const rules = new ClientRules([
    allow("::1"),
    allow("[fe80::]/10"),
    allow("2001:db8::/32"),
    deny("::ffff:192.168.0.0/112"),
    allow("192.168.0.0/16"),
  ]);
  expect(rules, [
    ["::1", true, "--allow-client ::1"],
    ["fe80::1%eth0", true, "--allow-client [fe80::]/10"],
    ["febf:ffff::1", true, "--allow-client [fe80::]/10"],
    ["fec0::1", false, "default (no --allow-client rule matched)"],
    ["2001:DB8:1::9", true, "--allow-client 2001:db8::/32"],
    ["2001:db9::", false, "default (no --allow-client rule matched)"],
    ["192.168.5.5", false, "--deny-client ::ffff:192.168.0.0/112"],
    ["127.0.0.1", false, "default (no --allow-client rule matched)"],
  ]);
});

Deno.test("ClientRules: an unparseable client address is denied", () => {
  for (const rules of [new ClientRules([]), new ClientRules([allow("0.0.0.0/0"), allow("::/0")])]) {
    expect(rules, [
      ["", false, "unknown client address"],
      ["localhost", false, "unknown client address"],
      ["10.0.0.1:5000", false, "unknown client address"],
      ["[::1]", false, "unknown client address"],
    ]);
  }
});

Deno.test("ClientRules: bad rules name the flag and the value as typed", () => {
  const cases: [RuleSpec, string][] = [
    [allow("10.0.0.300/8"), 'Cannot parse --allow-client "10.0.0.300/8": bad IPv4 address'],
    [
      deny("10.1.2.3/8"),
      'Cannot parse --deny-client "10.1.2.3/8": host bits set (did you mean 10.0.0.0/8?)',
    ],
    [
      allow("10.0.0.0/40"),
      'Cannot parse --allow-client "10.0.0.0/40": bad prefix length (must be 0-32)',
    ],
    [deny("::/200"), 'Cannot parse --deny-client "::/200": bad prefix length (must be 0-128)'],
    [deny("1::2::3"), 'Cannot parse --deny-client "1::2::3": bad IPv6 address'],
    [
      allow("localhost"),
      'Cannot parse --allow-client "localhost": not an IP address or CIDR range',
    ],
    [allow(""), 'Cannot parse --allow-client "": missing address'],
    [
      allow(" 10.0.0.1"),
      'Cannot parse --allow-client " 10.0.0.1": not an IP address or CIDR range',
    ],
  ];
  for (const [spec, message] of cases) throwsRule([allow("127.0.0.1"), spec], message);
});
