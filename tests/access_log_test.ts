/**
 * The three access log formats (lib/access_log.ts): the text line is the one
 * sluice always wrote, every JSON field and its nulls, the combined line with
 * nginx's escaping, parsed by GoAccess's COMBINED format.
 */

import assert from "node:assert/strict";
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import {
  ACCESS_JSON_FIELDS,
  accessJson,
  clfTime,
  escapeField,
  formatAccess,
  formatCombined,
  formatJson,
  formatText,
  splitPeer,
} from "../lib/access_log.ts";
import { Exchange } from "../lib/exchange.ts";
import { GOACCESS_REQUEST, parseCombined as goaccess } from "./goaccess.ts";

/** 2026-11-30 14:01:02.345 UTC. */
const END = Date.UTC(2026, 10, 30, 14, 1, 2, 345);

/** An exchange with every field set. */
function fullExchange(): Exchange {
  const ex = new Exchange(2);
  ex.method = "GET";
  ex.target = "http://example.com/a?b=c";
  ex.minor = 1;
  ex.status = 200;
  ex.clientRead = 101;
  ex.clientWritten = 2048;
  ex.serverWritten = 120;
  ex.serverToWrite = 130;
  ex.serverRead = 2000;
  ex.user = "alice";
  ex.cache = "sluice; hit; ttl=5";
  ex.upstreamAddr = "93.184.215.14:80";
  ex.reused = true;
  ex.reason = "upstream-closed";
  ex.referer = "http://example.com/";
  ex.userAgent = "curl/8.5.0";
  ex.times.head = 0.1234;
  ex.times.connect = 1.5;
  ex.times.sent = 2.0004;
  ex.times.firstByte = 10.0005;
  return ex;
}

// --- text ----------------------------------------------------------------

/** What the access logger printed before lib/access_log.ts existed (the reference). */
const OLD_TEMPLATE =
  "{client} {method} {target} {status} in={clientRead} out={clientWritten} up={serverWritten}/{serverToWrite} down={serverRead} {ms}ms{cache} {reason}{user}";

function oldProperties(client: string, ex: Exchange, totalMs: number): Record<string, unknown> {
  return {
    client,
    method: ex.method,
    target: ex.target,
    status: ex.status,
    clientRead: ex.clientRead,
    clientWritten: ex.clientWritten,
    serverWritten: ex.serverWritten,
    serverToWrite: ex.serverToWrite,
    serverRead: ex.serverRead,
    ms: Math.round(totalMs),
    reason: ex.reason ?? "-",
    user: ex.user === null ? "" : ` user=${ex.user}`,
    cache: ex.cache === ""
      ? ""
      : ` cache=${ex.cache.slice(ex.cache.indexOf(";") + 1).replaceAll(" ", "")}`,
  };
}

/** Renders records as lib/log.ts's stderr sink does. */
function render(record: LogRecord): string {
  let msg = "";
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    msg += i % 2 === 0 ? part : typeof part === "string" ? part : JSON.stringify(part);
  }
  return msg;
}

Deno.test("text: the line through LogTape is byte-identical to the old template's", async () => {
  const lines: string[] = [];
  await configure({
    reset: true,
    sinks: { capture: (r) => lines.push(render(r)) },
    loggers: [
      { category: ["t"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
  });
  try {
    const log = getLogger(["t"]);
    const plain = new Exchange(1);
    const odd = fullExchange();
    odd.target = "http://h/{client}?x={ms}";
    odd.user = "b{o}b";
    const cases: [string, Exchange, number][] = [
      ["127.0.0.1:5000", fullExchange(), 12.5],
      ["[::1]:6000", plain, 0.4],
      ["background", odd, 1999.6],
    ];
    for (const [peer, ex, ms] of cases) {
      lines.length = 0;
      log.info(OLD_TEMPLATE, oldProperties(peer, ex, ms));
      log.info("{line}", { line: formatText(peer, ex, ms) });
      assert.equal(lines.length, 2);
      assert.equal(lines[1], lines[0]);
    }
    assert.equal(
      formatText("127.0.0.1:5000", fullExchange(), 12.5),
      "127.0.0.1:5000 GET http://example.com/a?b=c 200 in=101 out=2048 up=120/130 down=2000 13ms cache=hit;ttl=5 upstream-closed user=alice",
    );
  } finally {
    await reset();
  }
});

// --- json ----------------------------------------------------------------

Deno.test("json: every field of a full exchange, in the documented order", () => {
  const line = formatJson("127.0.0.1:5000", fullExchange(), END, 12.34567);
  assert.ok(!line.includes("\n"));
  const obj = JSON.parse(line);
  assert.deepEqual(Object.keys(obj), [...ACCESS_JSON_FIELDS]);
  assert.deepEqual(Object.keys(obj.ms), ["head", "connect", "sent", "first_byte", "total"]);
  assert.deepEqual(obj, {
    time: "2026-11-30T14:01:02.345Z",
    client: "127.0.0.1",
    client_port: 5000,
    user: "alice",
    method: "GET",
    target: "http://example.com/a?b=c",
    http_version: "HTTP/1.1",
    status: 200,
    bytes_from_client: 101,
    bytes_to_client: 2048,
    bytes_to_upstream: 120,
    bytes_to_upstream_queued: 130,
    bytes_from_upstream: 2000,
    upstream: "93.184.215.14:80",
    upstream_reused: true,
    reason: "upstream-closed",
    cache: "sluice; hit; ttl=5",
    ms: { head: 0.123, connect: 1.5, sent: 2, first_byte: 10.001, total: 12.346 },
  });
});

Deno.test("json: nulls for what did not happen; round-trips through JSON.parse", () => {
  const ex = new Exchange(1);
  const obj = JSON.parse(formatJson("[2001:db8::1]:443", ex, END, 0.0004));
  assert.deepEqual(obj, accessJson("[2001:db8::1]:443", ex, END, 0.0004));
  assert.equal(obj.client, "2001:db8::1");
  assert.equal(obj.client_port, 443);
  assert.equal(obj.user, null);
  assert.equal(obj.method, "-");
  assert.equal(obj.target, "-");
  assert.equal(obj.http_version, null);
  assert.equal(obj.status, 0);
  assert.equal(obj.upstream, null);
  assert.equal(obj.upstream_reused, false);
  assert.equal(obj.reason, null);
  assert.equal(obj.cache, null);
  assert.deepEqual(obj.ms, { head: null, connect: null, sent: null, first_byte: null, total: 0 });
});

Deno.test("json: HTTP/1.0, control characters and quotes stay on one line", () => {
  const ex = fullExchange();
  ex.minor = 0;
  ex.target = 'http://h/"\\\x01\x7f\xe9';
  ex.user = "u\nv";
  const line = formatJson("10.0.0.1:1", ex, END, 1);
  assert.ok(!line.includes("\n") && !line.includes("\x01"));
  const obj = JSON.parse(line);
  assert.equal(obj.http_version, "HTTP/1.0");
  assert.equal(obj.target, 'http://h/"\\\x01\x7f\xe9');
  assert.equal(obj.user, "u\nv");
});

Deno.test("json: a pseudo-client keeps its name and has no port", () => {
  assert.deepEqual(splitPeer("background"), { ip: "background", port: null });
  assert.deepEqual(splitPeer("192.0.2.7:65535"), { ip: "192.0.2.7", port: 65535 });
  assert.deepEqual(splitPeer("[::1]:8080"), { ip: "::1", port: 8080 });
  const obj = JSON.parse(formatJson("background", new Exchange(1), END, 1));
  assert.equal(obj.client, "background");
  assert.equal(obj.client_port, null);
});

// --- combined ------------------------------------------------------------

function parseCombined(line: string): Record<string, string> {
  const g = goaccess(line);
  assert.ok(g, `GoAccess COMBINED does not parse: ${line}`);
  return g;
}

Deno.test("combined: the Apache/nginx line of a full exchange", () => {
  const line = formatCombined("127.0.0.1:5000", fullExchange(), END);
  assert.equal(
    line,
    '127.0.0.1 - alice [30/Nov/2026:14:01:02 +0000] "GET http://example.com/a?b=c HTTP/1.1" 200 2048 "http://example.com/" "curl/8.5.0"',
  );
  const g = parseCombined(line);
  assert.equal(g.host, "127.0.0.1");
  assert.equal(g.date, "30/Nov/2026");
  assert.equal(g.time, "14:01:02");
  assert.equal(g.status, "200");
  assert.equal(g.bytes, "2048");
  assert.equal(g.referer, "http://example.com/");
  assert.equal(g.agent, "curl/8.5.0");
  assert.deepEqual({ ...GOACCESS_REQUEST.exec(g.request)?.groups }, {
    method: "GET",
    url: "http://example.com/a?b=c",
    protocol: "HTTP/1.1",
  });
});

Deno.test("combined: dashes for no user, referer, agent and 0 bytes; 000 without status", () => {
  const ex = new Exchange(1);
  ex.method = "CONNECT";
  ex.target = "example.com:443";
  ex.minor = 0;
  const line = formatCombined("[::1]:6000", ex, END);
  assert.equal(
    line,
    '::1 - - [30/Nov/2026:14:01:02 +0000] "CONNECT example.com:443 HTTP/1.0" 000 - "-" "-"',
  );
  const g = parseCombined(line);
  assert.equal(g.bytes, "-");
  assert.equal(g.status, "000");
  // no request head at all (a refusal at accept): the request is "-"
  const none = formatCombined("10.1.2.3:9", new Exchange(1), END);
  assert.equal(none, '10.1.2.3 - - [30/Nov/2026:14:01:02 +0000] "-" 000 - "-" "-"');
  parseCombined(none);
});

Deno.test("combined: quotes, backslashes, control and high bytes escaped as nginx does", () => {
  assert.equal(escapeField('a"b\\c'), "a\\x22b\\x5Cc");
  assert.equal(escapeField("\x00\x1f\x7f\xff"), "\\x00\\x1F\\x7F\\xFF");
  assert.equal(escapeField("caf\u00e9 ok"), "caf\\xE9 ok");
  assert.equal(escapeField("\u20ac"), "\\xE2\\x82\\xAC"); // UTF-8 bytes of a wide character
  assert.equal(escapeField("\u{1f600}"), "\\xF0\\x9F\\x98\\x80");
  assert.equal(escapeField("a [b]", true), "a\\x20\\x5Bb\\x5D");
  assert.equal(escapeField("plain"), "plain");

  const ex = fullExchange();
  ex.target = 'http://h/"x"\\y';
  ex.referer = 'r"\r\n';
  ex.userAgent = 'Mozilla/5.0 "evil" \\ \x1b[31m';
  ex.user = "bob smith[1]";
  const line = formatCombined("127.0.0.1:1", ex, END);
  assert.ok([...line].every((ch) => ch >= " " && ch < "\x7f"), line);
  assert.equal(
    line,
    '127.0.0.1 - bob\\x20smith\\x5B1\\x5D [30/Nov/2026:14:01:02 +0000] "GET http://h/\\x22x\\x22\\x5Cy HTTP/1.1" 200 2048 "r\\x22\\x0D\\x0A" "Mozilla/5.0 \\x22evil\\x22 \\x5C \\x1B[31m"',
  );
  // unescaped, the quotes would break the line for GoAccess
  assert.equal(goaccess(line.replaceAll("\\x22", '"')), null);
  const g = parseCombined(line);
  assert.equal(g.agent, "Mozilla/5.0 \\x22evil\\x22 \\x5C \\x1B[31m");
  assert.equal(GOACCESS_REQUEST.exec(g.request)?.groups?.url, "http://h/\\x22x\\x22\\x5Cy");
});

Deno.test("combined: the time is UTC, day and hour zero-padded, English months", () => {
  assert.equal(clfTime(Date.UTC(2027, 0, 5, 3, 4, 5)), "05/Jan/2027:03:04:05 +0000");
  assert.equal(clfTime(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), "31/Dec/2026:23:59:59 +0000");
});

Deno.test("formatAccess picks the format", () => {
  const ex = fullExchange();
  assert.equal(formatAccess("text", "1.2.3.4:5", ex, END, 7), formatText("1.2.3.4:5", ex, 7));
  assert.equal(formatAccess("json", "1.2.3.4:5", ex, END, 7), formatJson("1.2.3.4:5", ex, END, 7));
  assert.equal(
    formatAccess("combined", "1.2.3.4:5", ex, END, 7),
    formatCombined("1.2.3.4:5", ex, END),
  );
});
