import assert from "node:assert/strict";
import {
  type AddressClass,
  Cidr,
  classifyAddress,
  formatIp,
  isPublic,
  loopbackAlias,
  parseIp,
} from "../../lib/policy/address.ts";
import { RuleError } from "../../lib/policy/rule.ts";

/** The 16 bytes as eight 4-digit hex groups joined by ":". */
function groups(b: Uint8Array | null): string | null {
  if (b === null) return null;
  assert.equal(b.length, 16);
  const out: string[] = [];
  for (let i = 0; i < 16; i += 2) out.push(((b[i] << 8) | b[i + 1]).toString(16).padStart(4, "0"));
  return out.join(":");
}

/** Asserts that `fn` throws a RuleError with exactly `message`. */
function throwsRule(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RuleError, `expected RuleError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("parseIp: valid literals and their 16 bytes", () => {
  const cases: [string, string][] = [
    ["0.0.0.0", "0000:0000:0000:0000:0000:ffff:0000:0000"],
    ["10.1.2.3", "0000:0000:0000:0000:0000:ffff:0a01:0203"],
    ["255.255.255.255", "0000:0000:0000:0000:0000:ffff:ffff:ffff"],
    ["::", "0000:0000:0000:0000:0000:0000:0000:0000"],
    ["::1", "0000:0000:0000:0000:0000:0000:0000:0001"],
    ["1::", "0001:0000:0000:0000:0000:0000:0000:0000"],
    ["1:2:3:4:5:6:7::", "0001:0002:0003:0004:0005:0006:0007:0000"],
    ["::2:3:4:5:6:7:8", "0000:0002:0003:0004:0005:0006:0007:0008"],
    ["1:2:3:4:5:6:7:8", "0001:0002:0003:0004:0005:0006:0007:0008"],
    ["2001:DB8::a:B", "2001:0db8:0000:0000:0000:0000:000a:000b"],
    ["0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001"],
    ["1:2:3:4:5:6:1.2.3.4", "0001:0002:0003:0004:0005:0006:0102:0304"],
    ["::ffff:1.2.3.4", "0000:0000:0000:0000:0000:ffff:0102:0304"],
    ["::1.2.3.4", "0000:0000:0000:0000:0000:0000:0102:0304"],
    ["fe80::1%eth0", "fe80:0000:0000:0000:0000:0000:0000:0001"],
    ["fe80::1%25", "fe80:0000:0000:0000:0000:0000:0000:0001"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ];
  for (const [text, want] of cases) assert.equal(groups(parseIp(text)), want, text);
});

Deno.test("parseIp: IPv4 and its mapped IPv6 form are the same bytes", () => {
  assert.deepEqual(parseIp("192.168.1.1"), parseIp("::ffff:192.168.1.1"));
  assert.deepEqual(parseIp("192.168.1.1"), parseIp("::FFFF:c0a8:101"));
  assert.notDeepEqual(parseIp("192.168.1.1"), parseIp("::192.168.1.1"));
});

Deno.test("parseIp: anything else is null", () => {
  const bad = [
    "",
    "example.com",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.0",
    "1.2.3.256",
    "01.2.3.4",
    "1.2.3.04",
    "1.2.3.00",
    "1.2.3.-1",
    "1.2.3.+4",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1..3.4",
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4%eth0",
    "1.2.3.4/8",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    ":1::",
    "1::2:",
    ":1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "12345::",
    "g::",
    "::1.2.3.4:5",
    "1.2.3.4::",
    "::ffff:256.1.1.1",
    "::ffff:01.1.1.1",
    "1:2:3:4:5:6:7:1.2.3.4",
    "[::1]",
    "::1%",
    "::1%a b",
    "::1 ",
    "fe80::1%eth0%1",
  ];
  for (const text of bad) assert.equal(parseIp(text), null, JSON.stringify(text));
});

Deno.test("formatIp: RFC 5952 text, IPv4-mapped as a dotted quad", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:0DB8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["fe80::1%eth0", "fe80::1"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["10.0.0.1", "10.0.0.1"],
    ["::1.2.3.4", "::102:304"],
  ];
  for (const [text, want] of cases) assert.equal(formatIp(parseIp(text)!), want, text);
});

Deno.test("Cidr.parse: canonical text", () => {
  const cases: [string, string][] = [
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.0.0.1", "10.0.0.1"],
    ["10.0.0.1/32", "10.0.0.1"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["::1/128", "::1"],
    ["[2001:DB8::]/32", "2001:db8::/32"],
    ["2001:db8:0:0::/64", "2001:db8::/64"],
    ["::/0", "::/0"],
    ["::ffff:0:0/96", "0.0.0.0/0"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
  ];
  for (const [text, want] of cases) assert.equal(Cidr.parse(text).toString(), want, text);
});

Deno.test("Cidr.contains: first and last address, and one outside each end", () => {
  const cases: [string, string[], string[]][] = [
    ["10.0.0.0/8", ["10.0.0.0", "10.255.255.255", "::ffff:10.1.2.3"], [
      "9.255.255.255",
      "11.0.0.0",
    ]],
    ["172.16.0.0/12", ["172.16.0.0", "172.31.255.255"], ["172.15.255.255", "172.32.0.0"]],
    ["100.64.0.0/10", ["100.64.0.0", "100.127.255.255"], ["100.63.255.255", "100.128.0.0"]],
    ["192.168.1.7", ["192.168.1.7"], ["192.168.1.6", "192.168.1.8"]],
    ["0.0.0.0/0", ["0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"], ["::1", "::", "2001:db8::"]],
    ["[fd00::]/8", ["fd00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ["fcff::", "fe00::"]],
    ["2001:db8::/32", ["2001:db8::", "2001:db8:ffff::1"], ["2001:db7:ffff::", "2001:db9::"]],
    ["fe80::/10", ["fe80::", "febf::1"], ["fe7f::", "fec0::"]],
    ["::1", ["::1", "0:0:0:0:0:0:0:1"], ["::", "::2", "127.0.0.1"]],
    ["::/0", ["::", "1.2.3.4", "ffff::"], []],
    ["::ffff:10.0.0.0/104", ["10.0.0.1"], ["11.0.0.1"]],
  ];
  for (const [range, inside, outside] of cases) {
    const cidr = Cidr.parse(range);
    for (const ip of inside) assert.equal(cidr.contains(ip), true, `${ip} in ${range}`);
    for (const ip of outside) assert.equal(cidr.contains(ip), false, `${ip} not in ${range}`);
  }
});

Deno.test("Cidr.contains: bytes, 4-byte IPv4 arrays, and non-addresses", () => {
  const net = Cidr.parse("10.0.0.0/8");
  assert.equal(net.contains(parseIp("10.9.9.9")!), true);
  assert.equal(net.contains(new Uint8Array([10, 1, 2, 3])), true);
  assert.equal(net.contains(new Uint8Array([11, 1, 2, 3])), false);
  assert.equal(net.contains(new Uint8Array(5)), false);
  assert.equal(net.contains("example.com"), false);
  assert.equal(net.contains("10.0.0"), false);
});

Deno.test("Cidr.parse: bad input, with exact messages", () => {
  const cases: [string, string][] = [
    ["10.0.0.300/8", "bad IPv4 address"],
    ["10.0.0", "bad IPv4 address"],
    ["01.0.0.0/8", "bad IPv4 address"],
    ["10.1.2.3/8", "host bits set (did you mean 10.0.0.0/8?)"],
    ["192.168.1.1/24", "host bits set (did you mean 192.168.1.0/24?)"],
    ["2001:db8::1/32", "host bits set (did you mean 2001:db8::/32?)"],
    ["[2001:db8::1]/32", "host bits set (did you mean [2001:db8::]/32?)"],
    ["::ffff:10.0.0.0/8", "host bits set (did you mean ::/8?)"],
    ["::ffff:10.1.0.0/104", "host bits set (did you mean ::ffff:10.0.0.0/104?)"],
    ["10.0.0.0/33", "bad prefix length (must be 0-32)"],
    ["10.0.0.0/", "bad prefix length (must be 0-32)"],
    ["10.0.0.0/08", "bad prefix length (must be 0-32)"],
    ["10.0.0.0/-1", "bad prefix length (must be 0-32)"],
    ["10.0.0.0/8/8", "bad prefix length (must be 0-32)"],
    ["::/129", "bad prefix length (must be 0-128)"],
    ["::/x", "bad prefix length (must be 0-128)"],
    ["1::2::3", "bad IPv6 address"],
    ["[::1", "unclosed [ or text after ]"],
    ["[::1]x", "unclosed [ or text after ]"],
    ["[1.2.3.4]", "brackets are only for IPv6 addresses"],
    ["[]", "brackets are only for IPv6 addresses"],
    ["", "missing address"],
    ["/8", "missing address"],
    ["fe80::1%eth0", "a zone (%...) is not allowed in a rule"],
    ["example.com", "not an IP address or CIDR range"],
    ["*", "not an IP address or CIDR range"],
  ];
  for (const [text, why] of cases) {
    throwsRule(() => Cidr.parse(text), `Cannot parse "${text}": ${why}`);
  }
});

Deno.test("Cidr.parse: the subject names the rule in the message", () => {
  throwsRule(
    () => Cidr.parse("10.0.0.300/8", '--allow-client "10.0.0.300/8"'),
    'Cannot parse --allow-client "10.0.0.300/8": bad IPv4 address',
  );
});

/** Address -> class, covering the first and last address of each range and one just outside. */
const CLASSES: [string, AddressClass][] = [
  ["0.0.0.0", "unspecified"],
  ["0.255.255.255", "unspecified"],
  ["1.0.0.0", "public"],
  ["9.255.255.255", "public"],
  ["10.0.0.0", "private"],
  ["10.255.255.255", "private"],
  ["11.0.0.0", "public"],
  ["100.63.255.255", "public"],
  ["100.64.0.0", "private"],
  ["100.127.255.255", "private"],
  ["100.128.0.0", "public"],
  ["126.255.255.255", "public"],
  ["127.0.0.0", "loopback"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.255", "loopback"],
  ["128.0.0.0", "public"],
  ["169.253.255.255", "public"],
  ["169.254.0.0", "link-local"],
  ["169.254.169.254", "link-local"],
  ["169.254.255.255", "link-local"],
  ["169.255.0.0", "public"],
  ["172.15.255.255", "public"],
  ["172.16.0.0", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.0", "public"],
  ["192.167.255.255", "public"],
  ["192.168.0.0", "private"],
  ["192.168.255.255", "private"],
  ["192.169.0.0", "public"],
  ["223.255.255.255", "public"],
  ["224.0.0.0", "multicast"],
  ["239.255.255.255", "multicast"],
  ["240.0.0.0", "reserved"],
  ["255.255.255.254", "reserved"],
  ["255.255.255.255", "reserved"],
  ["191.255.255.255", "public"],
  ["192.0.0.0", "reserved"],
  ["192.0.0.255", "reserved"],
  ["192.0.1.0", "public"],
  ["192.0.2.0", "reserved"],
  ["192.0.2.255", "reserved"],
  ["192.0.3.0", "public"],
  ["198.17.255.255", "public"],
  ["198.18.0.0", "reserved"],
  ["198.19.255.255", "reserved"],
  ["198.20.0.0", "public"],
  ["198.51.99.255", "public"],
  ["198.51.100.0", "reserved"],
  ["198.51.100.255", "reserved"],
  ["198.51.101.0", "public"],
  ["203.0.112.255", "public"],
  ["203.0.113.0", "reserved"],
  ["203.0.113.255", "reserved"],
  ["203.0.114.0", "public"],
  ["8.8.8.8", "public"],
  // IPv6
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["::2", "reserved"],
  ["::1.2.3.4", "reserved"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:169.254.169.254", "link-local"],
  ["::ffff:8.8.8.8", "public"],
  ["::fffe:808:808", "reserved"],
  ["fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["fe80::", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local"],
  ["fec0::", "reserved"],
  ["fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["fc00::", "unique-local"],
  ["fd00:ec2::254", "unique-local"],
  ["fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique-local"],
  ["fe00::", "reserved"],
  ["feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["ff00::", "multicast"],
  ["ff02::1", "multicast"],
  ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"],
  ["1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["2000::", "public"],
  ["3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["4000::", "reserved"],
  ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2001:db8::", "reserved"],
  ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["2001:db9::", "public"],
  ["2606:4700:4700::1111", "public"],
  ["100::", "reserved"],
  // NAT64 64:ff9b::/96 and 6to4 2002::/16 by their embedded IPv4 address
  ["64:ff9b::7f00:1", "loopback"],
  ["64:ff9b::10.0.0.1", "private"],
  ["64:ff9b::169.254.169.254", "link-local"],
  ["64:ff9b::8.8.8.8", "public"],
  ["64:ff9b::0.0.0.0", "unspecified"],
  ["64:ff9b::1:808:808", "reserved"],
  ["64:ff9a:ffff:ffff:ffff:ffff:808:808", "reserved"],
  ["64:ff9b:1::808:808", "reserved"],
  ["2002:7f00:1::", "loopback"],
  ["2002:a00:1::1", "private"],
  ["2002:c0a8:101::", "private"],
  ["2002:a9fe:a9fe::", "link-local"],
  ["2002:e000::", "multicast"],
  ["2002::", "unspecified"],
  ["2002:808:808::1", "public"],
  ["2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2003::7f00:1", "public"],
];

Deno.test("classifyAddress: every range boundary", () => {
  for (const [ip, want] of CLASSES) assert.equal(classifyAddress(ip), want, ip);
});

Deno.test("classifyAddress: bytes in, and non-addresses are never public", () => {
  assert.equal(classifyAddress(parseIp("10.0.0.1")!), "private");
  assert.equal(classifyAddress(new Uint8Array([127, 0, 0, 1])), "loopback");
  assert.equal(classifyAddress(new Uint8Array([8, 8, 8, 8])), "public");
  assert.equal(classifyAddress("example.com"), "reserved");
  assert.equal(classifyAddress(""), "reserved");
});

Deno.test("isPublic: only the public class", () => {
  for (const [ip, cls] of CLASSES) assert.equal(isPublic(ip), cls === "public", ip);
  assert.equal(isPublic("not an ip"), false);
});

Deno.test("loopbackAlias: the unspecified addresses connect to loopback; nothing else has an alias", () => {
  const rows: [string | Uint8Array, string | null][] = [
    ["0.0.0.0", "127.0.0.1"],
    ["::ffff:0.0.0.0", "127.0.0.1"],
    ["::ffff:0:0", "127.0.0.1"],
    [new Uint8Array(4), "127.0.0.1"],
    ["::", "::1"],
    ["0:0:0:0:0:0:0:0", "::1"],
    ["0.0.0.1", null],
    ["0.1.2.3", null],
    ["0.255.255.255", null],
    ["127.0.0.1", null],
    ["::1", null],
    ["64:ff9b::0.0.0.0", null],
    ["2002::", null],
    ["::0.0.0.1", null],
    ["example.com", null],
  ];
  for (const [ip, want] of rows) {
    const got = loopbackAlias(ip);
    assert.equal(got === null ? null : formatIp(got), want, String(ip));
  }
  // the class of the address itself is unchanged (a 0.0.0.0 listener is not loopback)
  assert.equal(classifyAddress("0.0.0.0"), "unspecified");
  // each call returns its own bytes
  loopbackAlias("0.0.0.0")![15] = 9;
  assert.equal(formatIp(loopbackAlias("0.0.0.0")!), "127.0.0.1");
});
