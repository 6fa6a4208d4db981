/**
 * Connecting to an origin: resolve the name (getaddrinfo, so `/etc/hosts`
 * counts), try every address in turn within one connect deadline, and map each
 * failure to the status the client should see.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ProxyError } from "../errors.ts";

/** Options for {@linkcode dial}. */
export interface DialOptions {
  /** Deadline for resolving and connecting, all addresses together (ms). */
  timeoutMs: number;
  /** The connect primitive (default `Deno.connect`); tests replace it. */
  connect?: (opts: Deno.ConnectOptions) => Promise<Deno.TcpConn>;
  /** The resolver (default {@linkcode resolve}); tests replace it. */
  resolve?: (host: string, port: number) => Promise<string[]>;
}

/** The `--allow-net` entry that would let the proxy reach `host:port`. */
export function allowNetHint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
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

/**
 * Connects to `host:port`, trying each resolved address until one answers.
 * Refused or unreachable everywhere -> 502; deadline -> 504; sandbox -> 403.
 *
 * @example
 * ```ts ignore
 * import { dial } from "./dial.ts";
 * const conn = await dial("localhost", 8000, { timeoutMs: 10_000 });
 * conn.close();
 * ```
 */
export async function dial(host: string, port: number, opts: DialOptions): Promise<Deno.TcpConn> {
  const deadline = Date.now() + opts.timeoutMs;
  const timedOut = () =>
    new ProxyError(
      504,
      "upstream-connect-timeout",
      `Cannot connect to ${host}:${port}: no answer within ${opts.timeoutMs} ms`,
    );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), opts.timeoutMs);
  });
  expired.catch(() => {});
  try {
    const addrs = await Promise.race([(opts.resolve ?? resolve)(host, port), expired]);
    let last: unknown = null;
    for (const addr of addrs) {
      if (Date.now() >= deadline) throw timedOut();
      const ac = new AbortController();
      const attempt = (opts.connect ?? Deno.connect)({ hostname: addr, port, signal: ac.signal });
      try {
        const conn = await Promise.race([attempt, expired]);
        conn.setNoDelay(true);
        return conn;
      } catch (err) {
        if (err instanceof ProxyError) {
          ac.abort();
          attempt.then((c) => c.close(), () => {});
          throw err;
        }
        if (err instanceof Deno.errors.NotCapable) throw denied(addr, port, err);
        last = err;
      }
    }
    const refused = last instanceof Deno.errors.ConnectionRefused;
    throw new ProxyError(
      502,
      refused ? "upstream-refused" : "upstream-unreachable",
      `Cannot connect to ${host}:${port}: ${
        refused ? "connection refused" : (last as Error)?.message ?? "unreachable"
      }`,
      { cause: last },
    );
  } finally {
    clearTimeout(timer);
  }
}
