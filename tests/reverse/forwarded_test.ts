import assert from "node:assert/strict";
import { HeaderList, stripHopByHop } from "../../lib/http1/headers.ts";
import {
  applyForwarded,
  forwardedElement,
  type ForwardedInfo,
  normalizeIp,
  TrustedProxies,
} from "../../lib/reverse/forwarded.ts";

function headers(...fields: [string, string][]): HeaderList {
  const h = new HeaderList();
  for (const [n, v] of fields) h.append(n, v);
  return h;
}

function fields(h: HeaderList): [string, string][] {
  return h.names.map((n, i) => [n, h.values[i]]);
}

const CLIENT: ForwardedInfo = {
  clientIp: "192.0.2.1",
  trusted: false,
  proto: "http",
  host: "www.example.com",
};

const SPOOFED: [string, string][] = [
  ["Host", "www.example.com"],
  ["X-Forwarded-For", "203.0.113.9, 198.51.100.7"],
  ["X-Forwarded-For", "10.0.0.1"],
  ["X-Forwarded-Proto", "https"],
  ["X-Forwarded-Host", "admin.example.com"],
  ["Forwarded", "for=203.0.113.9;proto=https"],
  ["Accept", "*/*"],
];

Deno.test("applyForwarded: a client without forwarding fields gets all four, Host untouched", () => {
  const h = headers(["Host", "www.example.com:8080"], ["Accept", "*/*"]);
  applyForwarded(h, { ...CLIENT, host: "www.example.com:8080" });
  assert.deepEqual(fields(h), [
    ["Host", "www.example.com:8080"],
    ["Accept", "*/*"],
    ["X-Forwarded-For", "192.0.2.1"],
    ["X-Forwarded-Proto", "http"],
    ["X-Forwarded-Host", "www.example.com:8080"],
    ["Forwarded", 'for=192.0.2.1;proto=http;host="www.example.com:8080"'],
  ]);
});

Deno.test("applyForwarded: an untrusted client's forwarding fields are replaced", () => {
  const h = headers(...SPOOFED);
  applyForwarded(h, CLIENT);
  // the spoofed ones are gone; ours follow the client's other fields
  assert.deepEqual(fields(h), [
    ["Host", "www.example.com"],
    ["Accept", "*/*"],
    ["X-Forwarded-For", "192.0.2.1"],
    ["X-Forwarded-Proto", "http"],
    ["X-Forwarded-Host", "www.example.com"],
    ["Forwarded", "for=192.0.2.1;proto=http;host=www.example.com"],
  ]);
});

Deno.test("applyForwarded: a trusted proxy's fields are kept and appended to", () => {
  const h = headers(...SPOOFED);
  applyForwarded(h, { ...CLIENT, clientIp: "10.0.0.2", trusted: true });
  assert.deepEqual(fields(h), [
    ["Host", "www.example.com"],
    ["X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.0.0.1, 10.0.0.2"],
    ["X-Forwarded-Proto", "https"],
    ["X-Forwarded-Host", "admin.example.com"],
    [
      "Forwarded",
      "for=203.0.113.9;proto=https, for=10.0.0.2;proto=http;host=www.example.com",
    ],
    ["Accept", "*/*"],
  ]);
  // a trusted proxy that sent none gets ours
  const bare = headers(["Host", "a.example"]);
  applyForwarded(bare, { ...CLIENT, trusted: true, host: "a.example" });
  assert.deepEqual(
    ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"].map((k) =>
      bare.get(k)
    ),
    ["192.0.2.1", "http", "a.example", "for=192.0.2.1;proto=http;host=a.example"],
  );
});

Deno.test("applyForwarded: IPv6 and IPv4-mapped clients", () => {
  const h = headers(["Host", "[::1]:8080"]);
  applyForwarded(h, { ...CLIENT, clientIp: "2001:DB8:0:0::1", host: "[::1]:8080" });
  assert.equal(h.get("x-forwarded-for"), "2001:db8::1");
  assert.equal(h.get("forwarded"), 'for="[2001:db8::1]";proto=http;host="[::1]:8080"');
  const m = headers();
  applyForwarded(m, { ...CLIENT, clientIp: "::ffff:192.0.2.7" });
  assert.equal(m.get("x-forwarded-for"), "192.0.2.7");
  assert.match(m.get("forwarded")!, /^for=192\.0\.2\.7;/);
});

Deno.test("applyForwarded: without a client Host, no X-Forwarded-Host and no host= (a spoofed one goes)", () => {
  const h = headers(["X-Forwarded-Host", "evil.example"]);
  applyForwarded(h, { ...CLIENT, host: null });
  assert.equal(h.get("x-forwarded-host"), undefined);
  assert.equal(h.get("forwarded"), "for=192.0.2.1;proto=http");
});

Deno.test("applyForwarded: Connection cannot nominate the forwarding fields as hop-by-hop", () => {
  const h = headers(
    ["Host", "a.example"],
    ["Connection", "keep-alive, X-Forwarded-For, Forwarded, X-Custom"],
    ["Proxy-Connection", "x-forwarded-host"],
    ["X-Custom", "1"],
  );
  applyForwarded(h, { ...CLIENT, host: "a.example" });
  assert.equal(h.get("connection"), "keep-alive, X-Custom");
  assert.equal(h.get("proxy-connection"), undefined);
  stripHopByHop(h);
  assert.deepEqual(fields(h), [
    ["Host", "a.example"],
    ["X-Forwarded-For", "192.0.2.1"],
    ["X-Forwarded-Proto", "http"],
    ["X-Forwarded-Host", "a.example"],
    ["Forwarded", "for=192.0.2.1;proto=http;host=a.example"],
  ]);
});

Deno.test("forwardedElement: quoting of host and for", () => {
  assert.equal(
    forwardedElement("192.0.2.60", "http", "example.com"),
    "for=192.0.2.60;proto=http;host=example.com",
  );
  assert.equal(forwardedElement("::1", "http", null), 'for="[::1]";proto=http');
  assert.equal(forwardedElement("fe80::1%eth0", "http", null), 'for="[fe80::1]";proto=http');
  assert.equal(forwardedElement("not-an-ip", "http", null), "for=unknown;proto=http");
  assert.equal(
    forwardedElement("192.0.2.1", "http", 'a"b\\c'),
    'for=192.0.2.1;proto=http;host="a\\"b\\\\c"',
  );
  // a host that no quoted-string can carry is left out rather than sent broken
  assert.equal(forwardedElement("192.0.2.1", "http", "a\x00b"), "for=192.0.2.1;proto=http");
});

Deno.test("TrustedProxies and normalizeIp", () => {
  const t = new TrustedProxies(["10.0.0.0/8", "::1", "[2001:db8::]/32"]);
  assert.equal(t.has("10.255.0.1"), true);
  assert.equal(t.has("::ffff:10.1.1.1"), true);
  assert.equal(t.has("::1"), true);
  assert.equal(t.has("2001:db8:1::5"), true);
  assert.equal(t.has("11.0.0.1"), false);
  assert.equal(t.has("127.0.0.1"), false);
  assert.equal(t.has("example.com"), false);
  assert.equal(new TrustedProxies([]).has("10.0.0.1"), false);
  assert.equal(normalizeIp("::FFFF:10.0.0.1"), "10.0.0.1");
  assert.equal(normalizeIp("2001:0db8::0001"), "2001:db8::1");
  assert.equal(normalizeIp("x"), "x");
});
