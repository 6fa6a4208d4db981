import assert from "node:assert/strict";
import { upstreamRequestHead } from "../../lib/http1/forward.ts";
import { RequestParser, ResponseParser } from "../../lib/http1/parse.ts";
import { parseAbsoluteTarget } from "../../lib/http1/target.ts";
import { requestedUpgrade, switchingHead } from "../../lib/http1/upgrade.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const req = (s: string) => new RequestParser().parse(enc(s))!.head;
const res = (s: string) => new ResponseParser().parse(enc(s))!.head;

Deno.test("requestedUpgrade: needs the upgrade token in Connection and an Upgrade field; h2c dropped; HTTP/1.0 never", () => {
  const cases: [string, string | null][] = [
    ["GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "websocket"],
    [
      "GET / HTTP/1.1\r\nConnection: keep-alive, upgrade\r\nUpgrade: websocket\r\n\r\n",
      "websocket",
    ],
    ["GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", null],
    ["GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", null],
    ["GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n", null],
    ["GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c, foo/2\r\n\r\n", "foo/2"],
    ["GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", null],
  ];
  for (const [s, want] of cases) assert.equal(requestedUpgrade(req(s)), want, JSON.stringify(s));
});

Deno.test("upstreamRequestHead with an upgrade: Upgrade kept, Connection: upgrade, other hop-by-hop still removed", () => {
  const r = req(
    "GET http://a/ws HTTP/1.1\r\nConnection: Upgrade, X-Hop\r\nUpgrade: websocket\r\nX-Hop: 1\r\nSec-WebSocket-Key: k\r\n\r\n",
  );
  const up = requestedUpgrade(r);
  const head = dec(upstreamRequestHead(r, parseAbsoluteTarget(r.target), "sluice", true, up));
  assert.equal(
    head,
    "GET /ws HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: k\r\nUpgrade: websocket\r\nVia: 1.1 sluice\r\nConnection: upgrade\r\n\r\n",
  );
});

Deno.test("switchingHead: the 101 relayed with the chosen protocol; one the client did not ask for is refused", () => {
  const ok = switchingHead(
    res(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n",
    ),
    "websocket",
    "sluice",
  );
  assert.equal(
    dec(ok!),
    "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: x\r\nVia: 1.1 sluice\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
  );
  assert.equal(
    switchingHead(
      res("HTTP/1.1 101 X\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n"),
      "websocket",
      "s",
    ),
    null,
  );
  assert.equal(switchingHead(res("HTTP/1.1 101 X\r\n\r\n"), "websocket", "s"), null);
});
