/**
 * Reading a socket without `Deno.Conn.read`'s bookkeeping.
 *
 * `Deno.Conn.read` is an async function that adds each read's promise to a
 * per-connection `Set` and deletes it when the read settles (the set only
 * serves `unref()`, which the proxy never calls). V8 rebuilds a `Set`'s table
 * every few deletes, and builds the new table in the generation of the old
 * one. Once a long-lived connection's table has been promoted to the old
 * generation (it survived two scavenges, say during a pause), every read
 * after that leaves old-generation garbage: on 1 KiB keep-alive at 40,000
 * requests/s, the old generation grew by 5-10 MB/s after about 30 s of
 * load, and V8 ran a full mark-compact every second from then on (none in
 * the first 30 s), with the tail latency that brings.
 *
 * {@linkcode readSome} calls the runtime's read op on the connection's
 * resource id directly, as Deno's own Node compatibility layer does: one op
 * promise, no async frame, no set. It finds the op and the resource id once
 * through `Deno[Deno.internal]`; where either is missing (another runtime
 * version, or a test's fake socket) it falls back to `conn.read`, with the
 * same answers.
 *
 * @module
 */

import type { Duplex } from "./exchange.ts";

/** The runtime's read op and the key of a connection's resource id. */
interface CoreRead {
  /** Reads into `buf` from the resource `rid`; 0 at end of stream. */
  read(rid: number, buf: Uint8Array): Promise<number>;
  /** The symbol under which a `Deno.Conn` keeps its resource id. */
  internalRidSymbol: symbol;
}

/** The runtime's read op, or null where this runtime does not offer it. */
function findCoreRead(): CoreRead | null {
  try {
    const d = Deno as unknown as Record<symbol, { core?: Partial<CoreRead> } | undefined>;
    const internal = (Deno as unknown as { internal?: symbol }).internal;
    const core = internal === undefined ? undefined : d[internal]?.core;
    if (typeof core?.read !== "function" || typeof core.internalRidSymbol !== "symbol") return null;
    return { read: core.read, internalRidSymbol: core.internalRidSymbol };
  } catch {
    return null;
  }
}

const CORE: CoreRead | null = findCoreRead();

/** Where {@linkcode readSome} keeps a connection's resource id (-1: none, use `conn.read`). */
const RID = Symbol("sluice.rid");

/** True when {@linkcode readSome} reads real connections through the op directly. */
export const DIRECT_READS: boolean = CORE !== null;

/**
 * Reads once from `conn` into `buf`, which must not be empty. Answers the
 * number of bytes read, 0 at end of stream (where `conn.read` answers null;
 * a read of 0 bytes that is not the end, which `Duplex.read` allows, is
 * read again). Rejects as `conn.read` would (a reset, a closed socket).
 *
 * @example
 * ```ts
 * import { readSome } from "./socket_read.ts";
 * const fake = {
 *   read: (p: Uint8Array) => Promise.resolve(p.length > 0 ? null : 0),
 *   write: (p: Uint8Array) => Promise.resolve(p.length),
 *   closeWrite: () => Promise.resolve(),
 *   close: () => {},
 * };
 * await readSome(fake, new Uint8Array(8)); // 0: end of stream
 * ```
 */
export function readSome(conn: Duplex, buf: Uint8Array): Promise<number> {
  if (CORE !== null) {
    // the runtime's rid comes from a getter under a symbol, a slow keyed load
    // each time: it is kept on the connection under a symbol of our own
    const c = conn as unknown as Record<symbol, number | undefined>;
    let rid = c[RID];
    if (rid === undefined) {
      const r = c[CORE.internalRidSymbol];
      c[RID] = rid = typeof r === "number" ? r : -1;
    }
    if (rid >= 0) return CORE.read(rid, buf);
  }
  // `Duplex.read` may answer 0 without the stream ending: read again
  return conn.read(buf).then((n) => n === null ? 0 : n === 0 ? readSome(conn, buf) : n);
}
