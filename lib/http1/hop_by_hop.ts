/**
 * The rewriting a proxy applies to a message's fields on each hop:
 * hop-by-hop removal (RFC 9110 section 7.6.1) and `Via` (section 7.6.3).
 *
 * @module
 */

import { HOP_BY_HOP_NAMES } from "./field_names.ts";
import type { HeaderList } from "./headers.ts";

/** Header fields that apply to one connection only and never cross the proxy. */
export const HOP_BY_HOP: readonly string[] = HOP_BY_HOP_NAMES;

/** No field names to remove. */
const NO_NAMES: string[] = Object.freeze([]) as unknown as string[];

/** Connection tokens that never name a field to remove. */
const NOT_FIELDS = new Set(["close", "keep-alive", "transfer-encoding", "content-length"]);

/**
 * Removes the hop-by-hop fields and every field named in `Connection` (or
 * `Proxy-Connection`). `Transfer-Encoding` and `Content-Length` stay: the
 * caller re-frames the message. Returns the lower-cased `Connection` tokens.
 */
export function stripHopByHop(headers: HeaderList): string[] {
  let tokens = headers.tokens("connection");
  const proxy = headers.tokens("proxy-connection");
  if (proxy.length > 0) tokens = [...tokens, ...proxy];
  // usually the tokens are only "keep-alive" or "close": nothing more to remove
  let named: string[] = tokens;
  let fields = 0;
  for (let i = 0; i < tokens.length; i++) if (!NOT_FIELDS.has(tokens[i])) fields++;
  if (fields < tokens.length) {
    named = fields === 0 ? NO_NAMES : tokens.filter((x) => !NOT_FIELDS.has(x));
  }
  headers.deleteHopByHop(named);
  return tokens;
}

let viaName = "";
const viaHops = ["", ""];

/** `1.<minor> <name>`, made once per name. */
function viaHop(minor: number, name: string): string {
  if (name !== viaName) {
    viaName = name;
    viaHops[0] = `1.0 ${name}`;
    viaHops[1] = `1.1 ${name}`;
  }
  return minor === 0 ? viaHops[0] : minor === 1 ? viaHops[1] : `1.${minor} ${name}`;
}

/**
 * Appends this hop to `Via` (RFC 9110 section 7.6.3): `1.1 sluice`, with the
 * version of the message as received. An empty `name` (`--no-via`) adds nothing.
 */
export function appendVia(headers: HeaderList, minor: number, name: string): void {
  if (name === "") return; // --no-via
  const hop = viaHop(minor, name);
  const prev = headers.getAll("via");
  if (prev.length === 0) {
    headers.append("Via", hop);
    return;
  }
  headers.set("Via", [...prev, hop].join(", "));
}
