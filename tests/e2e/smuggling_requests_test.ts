/**
 * Request smuggling through the in-process proxy: every vector of the tables
 * in smuggling_table.ts is sent with a valid request for "/smuggled" right
 * behind it in the same write, to an origin that records every byte it gets.
 * The proxy must refuse the vector, close the connection, and never forward
 * "/smuggled".
 */
import assert from "node:assert/strict";
import { RawClient, text, withProxy } from "./harness.ts";
import {
  CHUNK_VECTORS,
  GOOD_CHUNK,
  HEAD_VECTORS,
  type RecordingOrigin,
  recordingOrigin,
  smuggled,
  wire,
  within,
} from "./smuggling_table.ts";

const OK = wire("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

function assertNotSmuggled(origin: RecordingOrigin): void {
  assert.ok(
    !origin.all().includes("/smuggled"),
    `the request behind the vector reached the origin: ${JSON.stringify(origin.received())}`,
  );
}

// Head-stage vectors: refused from the head alone, so nothing is dialed and the
// origin (which would answer 200) accepts no connection at all.
for (const v of HEAD_VECTORS) {
  Deno.test({
    name: `request: ${v.name} -> ${v.status} ${v.reason}, closed, origin untouched`,
    async fn() {
      const origin = recordingOrigin(OK);
      try {
        await withProxy(async (p) => {
          const c = await RawClient.connect(p.port);
          try {
            const a = origin.authority;
            await c.write(wire(v.request(a) + smuggled(a)));
            const r = await within(3000, c.read(), `the answer to ${v.name}`, () => c.close());
            assert.equal(r.status, v.status, r.head);
            assert.equal(r.headers.get("x-sluice-reason"), v.reason, r.head);
            assert.equal(r.headers.get("connection"), "close");
            assert.match(text(r.body), new RegExp(`reason: ${v.reason}`));
            assert.ok(await c.closedWithin(2000), "the proxy should close after refusing");
          } finally {
            c.close();
          }
        });
        assert.equal(origin.accepted, 0, `origin received ${JSON.stringify(origin.received())}`);
        assertNotSmuggled(origin);
      } finally {
        await origin.close();
      }
    },
  });
}

// Chunk-level vectors: the head has gone upstream before the body goes bad, so
// the origin sees the head (and the valid first chunk when it was sent apart),
// never a byte of the bad part. The origin never answers, so whatever the
// client gets is the proxy's own doing: 400 bad-chunk (no response head went
// out yet), then a close of both connections.
for (const v of CHUNK_VECTORS) {
  for (const split of [false, true]) {
    const how = split ? "after a valid chunk went upstream" : "all in one write";
    Deno.test(`request body: ${v.name} (${how}) -> 400 bad-chunk, closed, nothing after it forwarded`, async () => {
      const origin = recordingOrigin(null);
      try {
        await withProxy(async (p) => {
          const a = origin.authority;
          const head = `POST http://${a}/upload HTTP/1.1\r\nHost: ${a}\r\n` +
            "Transfer-Encoding: chunked\r\n\r\n";
          const c = await RawClient.connect(p.port);
          try {
            if (split) {
              await c.write(wire(head + GOOD_CHUNK));
              await origin.waitFor(GOOD_CHUNK, 2000);
              await c.write(wire(v.body + smuggled(a)));
            } else {
              await c.write(wire(head + GOOD_CHUNK + v.body + smuggled(a)));
            }
            const r = await within(3000, c.read(), `the answer to ${v.name}`, () => c.close());
            assert.equal(r.status, 400, r.head);
            assert.equal(r.headers.get("x-sluice-reason"), "bad-chunk", r.head);
            assert.equal(r.headers.get("connection"), "close");
            assert.ok(await c.closedWithin(2000), "the proxy should close after refusing");
            // the origin must not be left waiting for the rest of a body that will not come
            await origin.settled(2000);
          } finally {
            c.close();
          }
        });
        assert.equal(origin.accepted, 1, `origin received ${JSON.stringify(origin.received())}`);
        const got = origin.received()[0];
        const end = got.indexOf("\r\n\r\n") + 4;
        assert.ok(end >= 4, `no complete head upstream: ${JSON.stringify(got)}`);
        assert.match(got.slice(0, end), /^POST \/upload HTTP\/1\.1\r\n/);
        assert.match(got.slice(0, end), /\r\nTransfer-Encoding: chunked\r\n/);
        const body = got.slice(end);
        if (split) assert.equal(body, GOOD_CHUNK);
        else {assert.ok(
            GOOD_CHUNK.startsWith(body),
            `bad bytes went upstream: ${JSON.stringify(body)}`,
          );}
        assertNotSmuggled(origin);
      } finally {
        await origin.close();
      }
    });
  }
}

// LF-only line endings are accepted by design (RFC 9112 section 2.2 allows a
// recipient to take a bare LF as a line terminator). The proxy re-serializes the
// head with CRLF, so the origin cannot read it differently, and the next
// LF-terminated request on the connection starts exactly where the body ends.
Deno.test("request: a fully LF-terminated request is forwarded with CRLF, body and next request intact", async () => {
  // this origin answers one request per connection, so it says so (no reuse)
  const origin = recordingOrigin(
    wire("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
    (s) => s.includes("\r\n\r\n") && (!s.startsWith("POST") || s.endsWith("hello")),
  );
  try {
    await withProxy(async (p) => {
      const a = origin.authority;
      const c = await RawClient.connect(p.port);
      try {
        await c.write(
          `POST http://${a}/lf HTTP/1.1\nHost: ${a}\nContent-Length: 5\nX-Trace: lf\n\nhello` +
            `GET http://${a}/second HTTP/1.1\nHost: ${a}\nConnection: close\n\n`,
        );
        for (let i = 0; i < 2; i++) {
          const r = await within(3000, c.read(), `response ${i + 1}`, () => c.close());
          assert.equal(r.status, 200, r.head);
          assert.equal(text(r.body), "ok");
        }
        assert.ok(await c.closedWithin(2000));
      } finally {
        c.close();
      }
    });
    const [first, second] = origin.received();
    assert.equal(origin.accepted, 2);
    const end = first.indexOf("\r\n\r\n") + 4;
    const head = first.slice(0, end);
    assert.match(
      head,
      new RegExp(`^POST /lf HTTP/1\\.1\\r\\nHost: ${escaped(origin.authority)}\\r\\n`),
    );
    assert.match(head, /\r\nContent-Length: 5\r\nX-Trace: lf\r\n/);
    assert.ok(!/[^\r]\n/.test(head), `a bare LF went upstream: ${JSON.stringify(head)}`);
    assert.equal(first.slice(end), "hello");
    assert.match(second, /^GET \/second HTTP\/1\.1\r\n/);
    assert.ok(second.endsWith("\r\n\r\n") && !/[^\r]\n/.test(second), JSON.stringify(second));
  } finally {
    await origin.close();
  }
});

/** `s` with the dots escaped for a RegExp. */
function escaped(s: string): string {
  return s.replaceAll(".", "\\.");
}
