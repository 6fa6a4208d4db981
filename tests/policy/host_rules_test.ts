import assert from "node:assert/strict";
import { HostRules } from "../../lib/policy/host_rules.ts";
import { RuleError, type RuleSpec } from "../../lib/policy/rule.ts";

const allow = (value: string): RuleSpec => ({ action: "allow", value });
const deny = (value: string): RuleSpec => ({ action: "deny", value });

/** A row: host, port, optional dialled address, then the expected answer. */
type Row = [string, number, string | undefined, boolean | "needs-address", string?];

/** Checks each row against `rules`; a decision row names its deciding rule. */
function expect(rules: HostRules, rows: Row[]): void {
  for (const [host, port, address, allowed, rule] of rows) {
    const got = rules.check(host, port, address);
    const what = `${host}:${port}${address === undefined ? "" : ` via ${address}`}`;
    if (allowed === "needs-address") assert.equal(got, "needs-address", what);
    else assert.deepEqual(got, { allowed, rule }, what);
  }
}

/** Asserts that building the rules throws a RuleError with exactly `message`. */
function throwsRule(spec: RuleSpec, message: string): void {
  assert.throws(() => new HostRules([spec]), (e: unknown) => {
    assert.ok(e instanceof RuleError, `expected RuleError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

const NO_RULES = "default (no rules)";
const NO_MATCH = "default (no --allow-host rule matched)";

Deno.test("HostRules: no rules allows everything and never needs an address", () => {
  const rules = new HostRules([]);
  assert.equal(rules.size, 0);
  assert.equal(rules.hasAddressRules, false);
  expect(rules, [
    ["example.com", 80, undefined, true, NO_RULES],
    ["10.0.0.1", 22, undefined, true, NO_RULES],
    ["::1", 443, "::1", true, NO_RULES],
  ]);
});

Deno.test("HostRules: exact names are case-insensitive and ignore a trailing dot", () => {
  const rules = new HostRules([deny("Example.COM."), deny("other.org")]);
  assert.equal(rules.size, 2);
  expect(rules, [
    ["example.com", 80, undefined, false, "--deny-host Example.COM."],
    ["EXAMPLE.com.", 443, undefined, false, "--deny-host Example.COM."],
    ["OTHER.ORG.", 443, undefined, false, "--deny-host other.org"],
    ["www.example.com", 80, undefined, true, NO_RULES],
    ["example.co", 80, undefined, true, NO_RULES],
    ["xexample.com", 80, undefined, true, NO_RULES],
    ["example.com.evil", 80, undefined, true, NO_RULES],
  ]);
});

Deno.test("HostRules: a wildcard matches subdomains at any depth, not the apex", () => {
  const rules = new HostRules([allow("*.Example.com")]);
  const rule = "--allow-host *.Example.com";
  expect(rules, [
    ["a.example.com", 80, undefined, true, rule],
    ["a.b.c.example.com", 443, undefined, true, rule],
    ["A.EXAMPLE.COM.", 80, undefined, true, rule],
    ["example.com", 80, undefined, false, NO_MATCH],
    ["example.com.", 80, undefined, false, NO_MATCH],
    ["badexample.com", 80, undefined, false, NO_MATCH],
    ["a.example.com.evil", 80, undefined, false, NO_MATCH],
  ]);
});

Deno.test("HostRules: ports restrict a rule; a rule without one matches every port", () => {
  const rules = new HostRules([
    allow("example.com:443"),
    allow("*.edu:80"),
    allow("[::1]:8080"),
    allow("10.0.0.0/8:22"),
    allow("any.org"),
  ]);
  expect(rules, [
    ["example.com", 443, undefined, true, "--allow-host example.com:443"],
    ["example.com", 80, undefined, false, NO_MATCH],
    ["www.mit.edu", 80, undefined, true, "--allow-host *.edu:80"],
    ["www.mit.edu", 443, undefined, false, NO_MATCH],
    ["::1", 8080, undefined, true, "--allow-host [::1]:8080"],
    ["::1", 8081, undefined, false, NO_MATCH],
    ["10.1.1.1", 22, undefined, true, "--allow-host 10.0.0.0/8:22"],
    ["10.1.1.1", 23, undefined, false, NO_MATCH],
    ["any.org", 1, undefined, true, "--allow-host any.org"],
    ["any.org", 65535, undefined, true, "--allow-host any.org"],
  ]);
});

Deno.test("HostRules: IP and CIDR rules match IP literal hosts, IPv4-mapped too", () => {
  const rules = new HostRules([
    deny("10.0.0.0/8"),
    deny("[fd00::]/8"),
    deny("[::1]"),
    allow("0.0.0.0/0"),
  ]);
  assert.equal(rules.hasAddressRules, true);
  expect(rules, [
    ["10.0.0.0", 80, undefined, false, "--deny-host 10.0.0.0/8"],
    ["10.255.255.255", 80, undefined, false, "--deny-host 10.0.0.0/8"],
    ["::ffff:10.1.2.3", 80, undefined, false, "--deny-host 10.0.0.0/8"],
    ["11.0.0.0", 80, undefined, true, "--allow-host 0.0.0.0/0"],
    ["fd00:ec2::254", 80, undefined, false, "--deny-host [fd00::]/8"],
    ["FE00::1", 80, undefined, false, NO_MATCH],
    ["::1", 80, undefined, false, "--deny-host [::1]"],
    ["[::1]", 80, undefined, false, "--deny-host [::1]"],
    ["::2", 80, undefined, false, NO_MATCH],
    // An IP literal host is its own address: a dialled address given as well is not consulted.
    ["11.0.0.1", 80, "10.0.0.1", true, "--allow-host 0.0.0.0/0"],
  ]);
});

Deno.test("HostRules: name rules never match IP literal hosts", () => {
  const rules = new HostRules([deny("*.0.0.1"), deny("*.com")]);
  expect(rules, [
    ["10.0.0.1", 80, undefined, true, NO_RULES],
    ["a.com", 80, undefined, false, "--deny-host *.com"],
  ]);
});

Deno.test("HostRules: a name reaching an IP rule needs an address, then is re-checked", () => {
  const rules = new HostRules([
    allow("intranet.example:443"),
    deny("10.0.0.0/8"),
    deny("[fc00::]/7"),
    allow("*.example"),
  ]);
  expect(rules, [
    // decided by a name rule before any IP rule is reached
    ["intranet.example", 443, undefined, true, "--allow-host intranet.example:443"],
    // the IP rules come first for everything else
    ["intranet.example", 80, undefined, "needs-address"],
    ["www.example", 443, undefined, "needs-address"],
    ["www.example", 443, "10.1.2.3", false, "--deny-host 10.0.0.0/8"],
    ["www.example", 443, "::ffff:10.1.2.3", false, "--deny-host 10.0.0.0/8"],
    ["www.example", 443, "fd00::1", false, "--deny-host [fc00::]/7"],
    ["www.example", 443, "93.184.215.14", true, "--allow-host *.example"],
    ["other.org", 443, "93.184.215.14", false, NO_MATCH],
    ["www.example", 443, "localhost", false, "unknown destination address"],
    // IP literal hosts never need an address
    ["192.0.2.1", 443, undefined, false, NO_MATCH],
  ]);
});

Deno.test("HostRules: an IP rule for another port does not need the address", () => {
  const rules = new HostRules([deny("10.0.0.0/8:22"), allow("*.example")]);
  expect(rules, [
    ["a.example", 443, undefined, true, "--allow-host *.example"],
    ["a.example", 22, undefined, "needs-address"],
    ["a.example", 22, "10.0.0.5", false, "--deny-host 10.0.0.0/8:22"],
    ["a.example", 22, "192.0.2.5", true, "--allow-host *.example"],
  ]);
});

Deno.test("HostRules: bad patterns, with exact messages", () => {
  const cases: [RuleSpec, string][] = [
    [allow(""), "missing host"],
    [allow(":443"), "missing host"],
    [deny("example.com:0"), "bad port (must be 1-65535)"],
    [deny("example.com:65536"), "bad port (must be 1-65535)"],
    [deny("example.com:"), "bad port (must be 1-65535)"],
    [deny("example.com:http"), "bad port (must be 1-65535)"],
    [deny("example.com:+80"), "bad port (must be 1-65535)"],
    [deny("[::1]:0"), "bad port (must be 1-65535)"],
    [deny("::1"), "an IPv6 address needs brackets, e.g. [::1] or [fd00::]/8"],
    [deny("fd00::/8:22"), "an IPv6 address needs brackets, e.g. [::1] or [fd00::]/8"],
    [deny("[::1"), "unclosed ["],
    [deny("[::1]x"), "unclosed [ or text after ]"],
    [deny("[10.0.0.1]"), "brackets are only for IPv6 addresses"],
    [deny("10.0.0.300/8"), "bad IPv4 address"],
    [deny("10.0.0.300"), "bad IPv4 address"],
    [deny("1.2.3"), "bad IPv4 address"],
    [deny("10.1.2.3/8:22"), "host bits set (did you mean 10.0.0.0/8?)"],
    [deny("[fd00::1]/8"), "host bits set (did you mean [fd00::]/8?)"],
    [deny("10.0.0.0/33"), "bad prefix length (must be 0-32)"],
    [deny("*"), `"*" is allowed only as the whole first label, e.g. *.example.com`],
    [deny("*.*.com"), `"*" is allowed only as the whole first label, e.g. *.example.com`],
    [deny("a*.example.com"), `"*" is allowed only as the whole first label, e.g. *.example.com`],
    [deny("www.*.com"), `"*" is allowed only as the whole first label, e.g. *.example.com`],
    [deny("exa_mple.com"), "bad host name: only letters, digits, hyphens and dots are allowed"],
    [deny("exa mple.com"), "bad host name: only letters, digits, hyphens and dots are allowed"],
    [deny("a..com"), "bad host name: empty label"],
    [deny(".com"), "bad host name: empty label"],
    [deny("example.com.."), "bad host name: empty label"],
    [deny("*."), `"*" is allowed only as the whole first label, e.g. *.example.com`],
    [deny("*.."), "bad host name: empty label"],
    [deny(`${"a".repeat(64)}.com`), "bad host name: label longer than 63 characters"],
    [deny(`${"a.".repeat(127)}com`), "bad host name: longer than 253 characters"],
  ];
  for (const [spec, why] of cases) {
    throwsRule(spec, `Cannot parse --${spec.action}-host "${spec.value}": ${why}`);
  }
});

Deno.test("HostRules: the longest valid names and the port limits are accepted", () => {
  const label = "a".repeat(63);
  const long = `${"a.".repeat(126)}a`; // 253 characters
  const rules = new HostRules([
    allow(`${label}.com:1`),
    allow(`${long}:65535`),
    allow("xn--d1a-9.com"),
  ]);
  expect(rules, [
    [`${label}.com`, 1, undefined, true, `--allow-host ${label}.com:1`],
    [long, 65535, undefined, true, `--allow-host ${long}:65535`],
    ["XN--D1A-9.COM", 80, undefined, true, "--allow-host xn--d1a-9.com"],
  ]);
});

Deno.test("HostRules: an unspecified address matches as itself and as the loopback it reaches", () => {
  const v4 = new HostRules([deny("127.0.0.1")]);
  const v4rule = "--deny-host 127.0.0.1";
  expect(v4, [
    ["0.0.0.0", 80, undefined, false, v4rule],
    ["::ffff:0.0.0.0", 80, undefined, false, v4rule],
    ["0", 80, "0.0.0.0", false, v4rule],
    ["any.test", 80, "::ffff:0.0.0.0", false, v4rule],
    ["127.0.0.1.", 80, undefined, false, v4rule],
    // the rest of 0.0.0.0/8 goes nowhere near loopback
    ["0.0.0.1", 80, undefined, true, NO_RULES],
    ["0.1.2.3", 80, undefined, true, NO_RULES],
    // :: reaches ::1, not 127.0.0.1
    ["::", 80, undefined, true, NO_RULES],
  ]);
  expect(new HostRules([deny("127.0.0.0/8")]), [
    ["0.0.0.0", 80, undefined, false, "--deny-host 127.0.0.0/8"],
  ]);
  expect(new HostRules([deny("[::1]")]), [
    ["::", 80, undefined, false, "--deny-host [::1]"],
    ["any.test", 80, "::", false, "--deny-host [::1]"],
    ["0.0.0.0", 80, undefined, true, NO_RULES],
  ]);
  // a rule naming the unspecified address itself still matches it, and only it
  expect(new HostRules([deny("0.0.0.0"), deny("[::]")]), [
    ["0.0.0.0", 80, undefined, false, "--deny-host 0.0.0.0"],
    ["::", 80, undefined, false, "--deny-host [::]"],
    ["127.0.0.1", 80, undefined, true, NO_RULES],
  ]);
  // an allow rule for loopback opens the unspecified address too
  expect(new HostRules([allow("127.0.0.1:8080")]), [
    ["0.0.0.0", 8080, undefined, true, "--allow-host 127.0.0.1:8080"],
    ["0.0.0.0", 8081, undefined, false, NO_MATCH],
  ]);
});
