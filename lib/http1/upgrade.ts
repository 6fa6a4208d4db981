/**
 * Protocol upgrades (RFC 9110 section 7.8) through the proxy: which `Upgrade`
 * a request asks for and may carry upstream, the upstream head that keeps
 * it, and the `101 Switching Protocols` head relayed back. `h2c` is never
 * passed on (as nginx): HTTP/2 cleartext upgrades would bypass everything
 * the proxy does. Sans-io.
 *
 * @module
 */

import { appendVia, stripHopByHop } from "./headers.ts";
import { encodeLatin1 } from "./forward.ts";
import type { RequestHead, ResponseHead } from "./parse.ts";

/**
 * The `Upgrade` value to carry upstream, or `null` when the request asks for
 * no upgrade (no `upgrade` token in `Connection`, no `Upgrade` field, or
 * only `h2c`). Protocols are kept as sent, `h2c` removed.
 *
 * @example
 * ```ts
 * import { RequestParser } from "./parse.ts";
 * import { requestedUpgrade } from "./upgrade.ts";
 * const head = (s: string) => new RequestParser().parse(new TextEncoder().encode(s))!.head;
 * requestedUpgrade(head("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")); // "websocket"
 * requestedUpgrade(head("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")); // null
 * ```
 */
export function requestedUpgrade(req: RequestHead): string | null {
  if (req.minor !== 1 || req.method === "CONNECT") return null; // HTTP/1.0 has no Upgrade
  if (!req.headers.tokens("connection").includes("upgrade")) return null;
  const protocols: string[] = [];
  for (const line of req.headers.getAll("upgrade")) {
    for (const p of line.split(",")) {
      const t = p.trim();
      if (t !== "" && t.toLowerCase() !== "h2c" && !t.toLowerCase().startsWith("h2c/")) {
        protocols.push(t);
      }
    }
  }
  return protocols.length > 0 ? protocols.join(", ") : null;
}

/**
 * The `101` head relayed to the client: the origin's fields without
 * hop-by-hop ones, then `Upgrade` as the origin chose it, `Connection:
 * upgrade` and `Via`. Returns `null` when the 101 names no protocol the
 * client asked for (the caller refuses it: 502).
 */
export function switchingHead(
  res: ResponseHead,
  asked: string,
  viaName: string,
): Uint8Array | null {
  const chosen = res.headers.get("upgrade")?.trim() ?? "";
  const askedList = asked.toLowerCase().split(",").map((s) => s.trim());
  if (chosen === "" || !askedList.includes(chosen.toLowerCase())) return null;
  const h = res.headers;
  stripHopByHop(h);
  appendVia(h, res.minor, viaName);
  const out: string[] = ["HTTP/1.1 101 ", res.reason || "Switching Protocols", "\r\n"];
  h.serializeInto(out);
  out.push("Upgrade: ", chosen, "\r\nConnection: upgrade\r\n\r\n");
  return encodeLatin1(out.join(""));
}
