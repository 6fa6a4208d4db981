/**
 * Connecting to an origin: resolve the name (getaddrinfo, so `/etc/hosts`
 * counts), try every address in turn until the caller's connect deadline
 * aborts, and map each failure to the status the client should see.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ProxyError } from "../errors.ts";
import { formatAuthority } from "../http1/target.ts";

/** Options for {@linkcode dial}. */
export interface DialOptions {
  /**
   * Aborted when the connect deadline passes (the caller's timer); then the
   * dial fails with 504. Resolving and every attempt share it.
   */
  signal: AbortSignal;
  /** The deadline length, for the error message (ms). */
  timeoutMs: number;
  /** The connect primitive (default `Deno.connect`); tests replace it. */
  connect?: (opts: Deno.ConnectOptions) => Promise<Deno.TcpConn>;
  /** The resolver (default {@linkcode resolve}); tests replace it. */
  resolve?: (host: string, port: number) => Promise<string[]>;
  /**
   * Checked for each address before it is tried, and for the address a
   * connect-by-name reached (`--deny-private`, address rules): an error skips
   * the address; if every address is refused, the first refusal is thrown.
   */
  gate?: (address: string) => ProxyError | null;
}

/** The `--allow-net` entry that would let the proxy reach `host:port`. */
export function allowNetHint(host: string, port: number): string {
  return formatAuthority(host, port);
}

function denied(host: string, port: number, cause: unknown): ProxyError {
  const entry = allowNetHint(host, port);
  return new ProxyError(
    403,
    "permission-denied",
    `sluice has no network permission for ${entry} (Deno sandbox); ` +
      `add ${entry} to --allow-net (e.g. --allow-net=...,${entry}) to allow it`,
    { cause },
  );
}

/** Resolves `host` to its addresses, in the resolver's order. */
export async function resolve(host: string, port: number): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    const found = await lookup(host, { all: true, verbatim: true });
    if (found.length === 0) throw new Error("no addresses");
    return found.map((a) => a.address);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || (err as { code?: string }).code === "EPERM") {
      throw denied(host, port, err);
    }
    throw new ProxyError(502, "dns-failure", `Cannot resolve ${host}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** One connect attempt raced against the deadline; a late connection is closed. */
async function attempt(
  hostname: string,
  port: number,
  opts: DialOptions,
  expired: Promise<never>,
): Promise<Deno.TcpConn> {
  const ac = new AbortController();
  const pending = (opts.connect ?? Deno.connect)({ hostname, port, signal: ac.signal });
  try {
    const conn = await Promise.race([pending, expired]);
    conn.setNoDelay(true);
    return conn;
  } catch (err) {
    if (err instanceof ProxyError) {
      ac.abort();
      pending.then((c) => c.close(), () => {});
    }
    throw err;
  }
}

function unreachable(host: string, port: number, err: unknown): ProxyError {
  const refused = err instanceof Deno.errors.ConnectionRefused;
  const why = refused ? "connection refused" : (err as Error | null)?.message ?? "unreachable";
  return new ProxyError(
    502,
    refused ? "upstream-refused" : "upstream-unreachable",
    `Cannot connect to ${host}:${port}: ${why}`,
    { cause: err },
  );
}

/**
 * Connects to `host:port`, trying each resolved address until one answers.
 * Refused or unreachable everywhere -> 502; deadline -> 504; sandbox -> 403.
 *
 * @example
 * ```ts ignore
 * import { dial } from "./dial.ts";
 * const conn = await dial("localhost", 8000, { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 });
 * conn.close();
 * ```
 */
export async function dial(host: string, port: number, opts: DialOptions): Promise<Deno.TcpConn> {
  const timedOut = () =>
    new ProxyError(
      504,
      "upstream-connect-timeout",
      `Cannot connect to ${host}:${port}: no answer within ${opts.timeoutMs} ms`,
    );
  if (opts.signal.aborted) throw timedOut();
  let onAbort: () => void = () => {};
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(timedOut());
    opts.signal.addEventListener("abort", onAbort, { once: true });
  });
  expired.catch(() => {});
  try {
    const addrs = await Promise.race([(opts.resolve ?? resolve)(host, port), expired]);
    let last: unknown = null;
    let refused: ProxyError | null = null;
    for (const addr of addrs) {
      const no = opts.gate?.(addr) ?? null;
      if (no) {
        refused ??= no;
        continue;
      }
      try {
        return await attempt(addr, port, opts, expired);
      } catch (err) {
        if (err instanceof ProxyError) throw err;
        if (!(err instanceof Deno.errors.NotCapable)) {
          last = err;
          continue;
        }
        if (isIP(host)) throw denied(addr, port, err);
        // A sandbox that names hosts (--allow-net=*.example.edu) grants the
        // name, not its addresses: let Deno resolve and connect by name.
        let conn: Deno.TcpConn;
        try {
          conn = await attempt(host, port, opts, expired);
        } catch (err2) {
          if (err2 instanceof ProxyError) throw err2;
          if (err2 instanceof Deno.errors.NotCapable) throw denied(host, port, err2);
          throw unreachable(host, port, err2);
        }
        // Deno chose the address: check the one it reached
        const reached = opts.gate?.((conn.remoteAddr as Deno.NetAddr).hostname) ?? null;
        if (reached) {
          conn.close();
          throw reached;
        }
        return conn;
      }
    }
    // an address the rules refused says more than one that did not answer
    if (refused) throw refused;
    throw unreachable(host, port, last);
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
}
