/**
 * Response smuggling through the in-process proxy: a scripted origin answers
 * with a badly framed response followed by a response of its own
 * ("299 Smuggled"), while the client has a second request for "/smuggled"
 * pipelined behind its first. The client must get 502 upstream-bad-response
 * when no response head went out yet, or the relayed head and then a close,
 * never the origin's second response, and "/smuggled" must never be forwarded.
 */
import assert from "node:assert/strict";
import { RawClient, readAll, withProxy } from "./harness.ts";
import {
  FAKE_RESPONSE,
  GOOD_CHUNK,
  rawHead,
  recordingOrigin,
  RESPONSE_VECTORS,
  smuggled,
  unwire,
  wire,
  within,
} from "./smuggling_table.ts";

for (const v of RESPONSE_VECTORS) {
  const outcome = v.stage === "head"
    ? "502 upstream-bad-response"
    : "502, or the head relayed and then a close mid-body";
  Deno.test({
    name: `response: ${v.name} -> ${outcome}, nothing after it relayed or forwarded`,
    async fn() {
      const origin = recordingOrigin(wire(v.response + FAKE_RESPONSE));
      try {
        await withProxy(async (p) => {
          const a = origin.authority;
          const c = await RawClient.connect(p.port);
          try {
            await c.write(
              wire(`GET http://${a}/first HTTP/1.1\r\nHost: ${a}\r\n\r\n` + smuggled(a)),
            );
            // readAll ends at the proxy's close; a proxy that keeps the connection open fails here
            const got = unwire(
              await within(
                3000,
                readAll(c.conn),
                "the proxy closing the connection",
                () => c.close(),
              ),
            );
            const head = rawHead(got);
            assert.ok(head.end > 0, `no response head: ${JSON.stringify(got)}`);
            // a body-stage error found in the first buffered window, before the head
            // left (head and first body bytes go out in one write), is answered 502 too
            if (v.stage === "head" || head.status === 502) {
              assert.equal(head.status, 502, got);
              assert.equal(head.headers.get("x-sluice-reason"), "upstream-bad-response", got);
              assert.equal(head.headers.get("connection"), "close");
              const length = Number(head.headers.get("content-length"));
              assert.equal(got.length, head.end + length, `more than one response: ${got}`);
            } else {
              assert.equal(head.status, 200, got);
              assert.equal(head.headers.get("transfer-encoding"), "chunked", got);
              const body = got.slice(head.end);
              assert.ok(GOOD_CHUNK.startsWith(body), `bad bytes relayed: ${JSON.stringify(body)}`);
            }
            assert.ok(
              !got.includes("Smuggled"),
              `the origin's second response was relayed: ${got}`,
            );
            await origin.settled(2000);
          } finally {
            c.close();
          }
        });
        assert.equal(origin.accepted, 1, `origin received ${JSON.stringify(origin.received())}`);
        assert.match(origin.received()[0], /^GET \/first HTTP\/1\.1\r\n/);
        assert.ok(
          !origin.all().includes("/smuggled"),
          `the pipelined request reached the origin: ${JSON.stringify(origin.received())}`,
        );
      } finally {
        await origin.close();
      }
    },
  });
}
