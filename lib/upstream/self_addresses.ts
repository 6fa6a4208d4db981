/**
 * This proxy's own listen addresses, to refuse a request that would make it
 * connect to itself (a forwarding loop the `Via` check only stops after a
 * connection to itself). Built from the addresses the server actually bound:
 * a specific listener (`127.0.0.1:8080`) is reached by that address in any
 * spelling (`::ffff:127.0.0.1`, and `0.0.0.0`, which connects to loopback);
 * a wildcard one (`0.0.0.0:8080`, `[::]:8080`) by every local address on its
 * port: loopback, the unspecified address, and the machine's interface
 * addresses when known (`Deno.networkInterfaces()` needs `--allow-sys`; without
 * it, {@linkcode SelfAddresses.checkConnection} still catches a connection
 * whose remote end is its own local address). Sans-io apart from
 * {@linkcode SelfAddresses.ofListeners}.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";
import { formatAuthority } from "../http1/target.ts";
import { formatIp, isMapped, loopbackAlias, parseIp } from "../policy/address.ts";
import type { AddressGate } from "../policy/policy.ts";

/** A bound listen address (as `Deno.TcpListener.addr` reports it). */
export interface ListenAddr {
  /** The bound IP address (`0.0.0.0` or `::` for a wildcard listener). */
  hostname: string;
  /** The bound port. */
  port: number;
}

interface Listener {
  /** The bound address, as 16 bytes. */
  ip: Uint8Array;
  port: number;
  /** "v4" for 0.0.0.0, "any" for :: (dual-stack: IPv4 clients too), null for a specific address. */
  wildcard: "v4" | "any" | null;
  /** `host:port` for messages. */
  text: string;
}

/** 16 bytes of an address as a connection to it reaches it (`0.0.0.0` -> `127.0.0.1`). */
function reached(address: string): Uint8Array | null {
  const ip = parseIp(address);
  return ip === null ? null : loopbackAlias(ip) ?? ip;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.every((x, i) => x === b[i]);
}

/** 127.0.0.0/8 (IPv4-mapped too) or ::1; not NAT64 or 6to4 forms, which leave the machine. */
function isLoopback(ip: Uint8Array): boolean {
  if (isMapped(ip)) return ip[12] === 127;
  return ip.subarray(0, 15).every((x) => x === 0) && ip[15] === 1;
}

/**
 * The set of `address:port` pairs that reach this proxy.
 *
 * @example
 * ```ts
 * import { SelfAddresses } from "./self_addresses.ts";
 * const self = new SelfAddresses([{ hostname: "127.0.0.1", port: 8080 }]);
 * self.isSelf("::ffff:127.0.0.1", 8080); // true
 * self.isSelf("0.0.0.0", 8080); // true: a connect to 0.0.0.0 reaches loopback
 * self.isSelf("127.0.0.1", 8081); // false
 * ```
 */
export class SelfAddresses {
  readonly #listeners: Listener[] = [];
  readonly #local: Uint8Array[] = [];
  /** The listen ports: a target on any other port is never this proxy (the per-request fast path). */
  readonly #ports = new Set<number>();

  /**
   * `listeners` are the bound addresses; `localAddresses` the machine's own
   * addresses (interfaces) a wildcard listener is reached by, besides
   * loopback. Entries that are not IP literals are ignored.
   */
  constructor(listeners: readonly ListenAddr[], localAddresses: readonly string[] = []) {
    for (const { hostname, port } of listeners) {
      const ip = parseIp(hostname);
      if (ip === null) continue;
      // only 0.0.0.0 and :: have a loopback alias: they are the wildcards
      const wildcard = loopbackAlias(ip) === null ? null : isMapped(ip) ? "v4" : "any";
      this.#listeners.push({ ip, port, wildcard, text: formatAuthority(formatIp(ip), port) });
      this.#ports.add(port);
    }
    for (const a of localAddresses) {
      const ip = parseIp(a);
      if (ip !== null) this.#local.push(ip);
    }
  }

  /**
   * Built from the bound `listeners` and, when the process may read them
   * (`--allow-sys`, checked without prompting), the interface addresses.
   */
  static ofListeners(listeners: readonly ListenAddr[]): SelfAddresses {
    let local: string[] = [];
    try {
      const sys = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" });
      if (sys.state === "granted") local = Deno.networkInterfaces().map((i) => i.address);
    } catch {
      // NotCapable or unsupported: loopback and the connection check still apply
    }
    return new SelfAddresses(listeners, local);
  }

  /** The number of listen addresses. */
  get size(): number {
    return this.#listeners.length;
  }

  /** Whether `ip` (16 bytes, already reached-normalized) is an address of this machine. */
  #isLocal(ip: Uint8Array): boolean {
    return isLoopback(ip) || this.#local.some((l) => same(l, ip));
  }

  /**
   * The listen address (`host:port` text) that a connection to
   * `address:port` reaches, or null when it reaches none of them.
   */
  match(address: string, port: number): string | null {
    if (!this.#ports.has(port)) return null;
    const ip = reached(address);
    if (ip === null) return null;
    for (const l of this.#listeners) {
      if (l.port !== port) continue;
      if (l.wildcard === null ? same(l.ip, ip) : this.#covers(l, ip) && this.#isLocal(ip)) {
        return l.text;
      }
    }
    return null;
  }

  /** Whether a connection to `address:port` reaches this proxy. */
  isSelf(address: string, port: number): boolean {
    return this.match(address, port) !== null;
  }
  /**
   * Whether a request target's `host:port` names this proxy before any
   * DNS: an address that reaches it, or `localhost` (which names the
   * loopback addresses). Other names are checked on the addresses they
   * resolve to, by {@linkcode SelfAddresses.gate}.
   */
  isSelfHost(host: string, port: number): boolean {
    if (host !== "localhost") return this.isSelf(host, port);
    return this.isSelf("127.0.0.1", port) || this.isSelf("::1", port);
  }

  /** Whether wildcard listener `l` accepts connections to `ip` (by address family). */
  #covers(l: Listener, ip: Uint8Array): boolean {
    return l.wildcard === "any" || isMapped(ip);
  }

  /**
   * The 508 for a request to `host:port` (dialling `address`) that would
   * reach this proxy, or null. `host` is the target host, `address` the IP
   * about to be dialled (default: `host`, when it is an IP literal).
   */
  refusal(host: string, port: number, address: string = host): ProxyError | null {
    const listening = this.match(address, port);
    return listening === null ? null : loop(host, port, address, listening);
  }

  /**
   * `inner` (the policy's per-address gate, or null) preceded by the loop
   * check: an address that reaches this proxy is refused with 508.
   */
  gate(host: string, port: number, inner: AddressGate | null): AddressGate {
    return (address) => this.refusal(host, port, address) ?? inner?.(address) ?? null;
  }

  /**
   * The backstop after a connect: 508 when the connection reached this
   * proxy, either by its remote address or because its remote address is its
   * own local address (an address of this machine) on the port of a wildcard
   * listener. `conn` is a `Deno.Conn` (anything without addresses passes).
   */
  checkConnection(conn: object, host: string, port: number): ProxyError | null {
    const { localAddr, remoteAddr } = conn as Partial<Deno.Conn>;
    if (remoteAddr?.transport !== "tcp") return null;
    const remote = remoteAddr.hostname;
    const listening = this.match(remote, remoteAddr.port);
    if (listening !== null) return loop(host, port, remote, listening);
    if (localAddr?.transport !== "tcp") return null;
    const r = reached(remote);
    const l = reached(localAddr.hostname);
    if (r === null || l === null || !same(r, l)) return null;
    for (const w of this.#listeners) {
      if (w.wildcard !== null && w.port === remoteAddr.port && this.#covers(w, r)) {
        return loop(host, port, remote, w.text);
      }
    }
    return null;
  }
}

function loop(host: string, port: number, address: string, listening: string): ProxyError {
  const where = formatAuthority(host, port) + (address !== host ? ` (${address})` : "");
  return new ProxyError(
    508,
    "loop-detected",
    `Request loop: ${where} is this proxy itself (listening on ${listening}); send it to another host`,
  );
}
