/**
 * Opening listening sockets, and the words for a listener that cannot open.
 *
 * @module
 */

import type { ListenAddress } from "./config.ts";
import { formatAuthority } from "./http1/target.ts";
import { classifyAddress } from "./policy/address.ts";

/** A listener could not be opened (busy port, bad address, no permission). */
export class ListenError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ListenError";
  }
}

/** Whether a listen hostname is loopback-only (127/8, ::1, "localhost"). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || classifyAddress(hostname) === "loopback";
}

/** Opens a TCP listener on `addr` (with SO_REUSEPORT for `--workers`). */
export function openListener(addr: ListenAddress, reusePort: boolean): Deno.TcpListener {
  return Deno.listen({
    hostname: addr.hostname,
    port: addr.port,
    transport: "tcp",
    ...(reusePort ? { reusePort: true } : {}),
  });
}

/** Why listening on `addr` failed, in a line for the operator. */
export function describeListenError(addr: ListenAddress, err: unknown): string {
  const where = formatAuthority(addr.hostname, addr.port);
  if (err instanceof Deno.errors.AddrInUse) {
    return `Cannot listen on ${where}: address already in use`;
  }
  if (err instanceof Deno.errors.NotCapable) {
    return `Cannot listen on ${where}: no network permission (add ${where} to --allow-net)`;
  }
  return `Cannot listen on ${where}: ${(err as Error).message}`;
}
