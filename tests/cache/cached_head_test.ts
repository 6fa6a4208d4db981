import assert from "node:assert/strict";
import { cachedHead, headPrefix, headTail } from "../../lib/cache/cached_head.ts";
import { createEntry } from "../../lib/cache/entry.ts";
import { HeaderList } from "../../lib/http1/headers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("cachedHead: status line, stored fields, Via, Cache-Status, persistence", () => {
  const h = new HeaderList();
  h.append("Content-Type", "text/plain");
  h.append("Content-Length", "5");
  h.append("Age", "3");
  const s = text(cachedHead(h, {
    status: 200,
    cacheStatus: "sluice; hit; ttl=57",
    via: "sluice",
    keepAlive: true,
    minor: 1,
  }));
  assert.equal(
    s,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nAge: 3\r\nVia: 1.1 sluice\r\nCache-Status: sluice; hit; ttl=57\r\n\r\n",
  );
});

Deno.test("cachedHead: a 206 gets its length and range; HTTP/1.0 keep-alive and close are said", () => {
  const h = new HeaderList();
  h.append("Content-Length", "100");
  const s = text(cachedHead(h, {
    status: 206,
    cacheStatus: "",
    via: "",
    keepAlive: true,
    minor: 0,
    contentLength: 10,
    contentRange: "bytes 0-9/100",
  }));
  assert.match(s, /^HTTP\/1\.1 206 Partial Content\r\n/);
  assert.match(s, /Content-Length: 10\r\n/);
  assert.match(s, /Content-Range: bytes 0-9\/100\r\n/);
  assert.match(s, /Connection: keep-alive\r\n/);
  assert.doesNotMatch(s, /Via|Cache-Status/);
  const c = text(
    cachedHead(new HeaderList(), {
      status: 304,
      cacheStatus: "",
      via: "x",
      keepAlive: false,
      minor: 1,
    }),
  );
  assert.match(c, /Connection: close\r\n\r\n$/);
});

Deno.test("headPrefix: status line and stored fields once per entry, Age and stored Content-Length left out; headTail adds the rest", () => {
  const h = new HeaderList();
  h.append("Content-Type", "text/plain");
  h.append("Age", "5");
  h.append("Content-Length", "999");
  const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
    requestTime: 0,
    responseTime: 0,
    body: new Uint8Array(3),
  });
  const p = headPrefix(e);
  assert.equal(headPrefix(e), p, "memoized");
  const s = text(p);
  assert.match(s, /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\n/);
  assert.doesNotMatch(s, /Age|999/);
  assert.match(s, /Content-Length: 3\r\n$/);
  const t = headTail(7, {
    status: 200,
    cacheStatus: "sluice; hit",
    via: "sluice",
    keepAlive: false,
    minor: 1,
  });
  assert.equal(
    t,
    "Age: 7\r\nVia: 1.1 sluice\r\nCache-Status: sluice; hit\r\nConnection: close\r\n\r\n",
  );
  assert.equal(
    headTail(0, { status: 200, cacheStatus: "", via: "", keepAlive: true, minor: 0 }),
    "Age: 0\r\nConnection: keep-alive\r\n\r\n",
  );
});
