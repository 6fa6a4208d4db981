/**
 * Who may use the proxy and where it may go, in one object built from the
 * configuration: client rules (at accept), the loop check, proxy
 * authentication and destination rules (per request), and the per-address
 * gate (`--deny-private`, address rules) that the dialler applies to every
 * address it is about to connect to, after DNS. Each refusal is a
 * {@linkcode ProxyError} whose message names the rule that matched and the
 * flag that changes it. Sans-io apart from the password hash.
 *
 * @module
 */

import { AuthRequiredError, ProxyError, RateLimitedError } from "../errors.ts";
import type { HeaderList } from "../http1/headers.ts";
import { formatAuthority } from "../http1/target.ts";
import { classifyAddress, formatIp, loopbackAlias } from "./address.ts";
import type { ProxyAuth } from "./auth.ts";
import { ClientRules } from "./client_rules.ts";
import { HostRules } from "./host_rules.ts";
import type { RuleSpec } from "./rule.ts";

/** The part of the configuration a policy is built from. */
export interface PolicyConfig {
  /** `--allow-client` / `--deny-client`, in order. */
  clientRules: readonly RuleSpec[];
  /** `--allow-host` / `--deny-host`, in order. */
  hostRules: readonly RuleSpec[];
  /** `--deny-private`. */
  denyPrivate: boolean;
  /** This proxy's name in `Via` (for loop detection). */
  viaName: string;
}

/** Decides, for each address a dial is about to try, whether it may; `null` means yes. */
export type AddressGate = (address: string) => ProxyError | null;

/** "a" or "an" before an address class (of those, only "unspecified" takes "an"). */
function article(kind: string): string {
  return kind === "unspecified" ? "an" : "a";
}

/** An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, as a [::] listener reports IPv4 clients) as IPv4. */
function displayIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}

/**
 * The received-by names of a `Via` field value (RFC 9110 section 7.6.3):
 * comma-separated `protocol received-by [comment]`, where a comment is
 * parenthesized, may nest and may hold commas and quoted pairs.
 */
export function viaReceivedBy(value: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let plain = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (depth > 0) {
      if (c === "\\") i++;
      else if (c === "(") depth++;
      else if (c === ")") depth--;
      continue;
    }
    if (c === "(") depth++;
    else plain += c;
  }
  for (const hop of plain.split(",")) {
    const name = hop.trim().split(/[ \t]+/)[1];
    if (name) names.push(name);
  }
  return names;
}

/**
 * The access policy in force. A new one is built on each reload; an exchange
 * keeps the one it started with.
 *
 * @example
 * ```ts
 * import { Policy } from "./policy.ts";
 * const p = new Policy({
 *   clientRules: [{ action: "allow", value: "10.0.0.0/8" }],
 *   hostRules: [],
 *   denyPrivate: true,
 *   viaName: "sluice",
 * }, null);
 * console.log(p.admitClient("192.0.2.1")?.status); // 403
 * ```
 */
export class Policy {
  readonly #clients: ClientRules;
  readonly #hosts: HostRules;
  /** Address allow rules, which may open a private address under --deny-private. */
  readonly #exempt: HostRules;
  readonly #denyPrivate: boolean;
  readonly #auth: ProxyAuth | null;
  readonly #viaName: string;

  /** Compiles the rules (throws `RuleError` for a bad one); `auth` is null when auth is off. */
  constructor(config: PolicyConfig, auth: ProxyAuth | null) {
    this.#clients = new ClientRules(config.clientRules);
    this.#hosts = new HostRules(config.hostRules);
    this.#exempt = new HostRules(
      config.hostRules.filter((r) => r.action === "allow" && new HostRules([r]).hasAddressRules),
    );
    this.#denyPrivate = config.denyPrivate;
    this.#auth = auth;
    this.#viaName = config.viaName.toLowerCase();
  }

  /** Whether any `--allow-client` rule is configured (without one, everyone not denied may connect). */
  get hasClientAllowRules(): boolean {
    return this.#clients.hasAllowRules;
  }

  /** Whether proxy authentication is on. */
  get authenticates(): boolean {
    return this.#auth !== null;
  }

  /** The refusal (403 client-denied) for a client at `ip`, or `null` to serve it. */
  admitClient(ip: string): ProxyError | null {
    if (this.#clients.size === 0) return null; // the common case costs nothing per accept
    const d = this.#clients.check(ip);
    if (d.allowed) return null;
    const shown = displayIp(ip);
    return new ProxyError(
      403,
      "client-denied",
      `Client ${shown} may not use this proxy (${d.rule}); the operator can allow it with --allow-client ${shown}`,
    );
  }

  /** 508 when this proxy's name is already in the request's `Via` (a forwarding loop). */
  checkLoop(headers: HeaderList): ProxyError | null {
    for (const value of headers.getAll("via")) {
      for (const receivedBy of viaReceivedBy(value)) {
        if (receivedBy.toLowerCase() === this.#viaName) {
          return new ProxyError(
            508,
            "loop-detected",
            `Request loop: it already passed through ${this.#viaName} (Via: ${value}); if two sluice proxies are chained, give each its own --via-name`,
          );
        }
      }
    }
    return null;
  }

  /**
   * Resolves to the user when the request's proxy credentials are good (null
   * when auth is off); else throws 407 ({@linkcode AuthRequiredError}), or 429
   * ({@linkcode RateLimitedError}) when the client at `clientIp` has had too
   * many failed logins lately.
   */
  async authenticate(headers: HeaderList, clientIp = ""): Promise<string | null> {
    if (this.#auth === null) return null;
    const values = headers.getAll("proxy-authorization");
    const result = values.length > 1
      ? { ok: false as const, reason: "auth-failed" as const, user: undefined }
      : await this.#auth.check(values[0], clientIp);
    if (result.ok) return result.user;
    if (result.reason === "auth-rate-limited") {
      throw new RateLimitedError(
        `Too many failed proxy logins from ${
          displayIp(clientIp) || "this client"
        }; try again in ${result.retryAfter} s (the operator sets the limit with --auth-max-failures)`,
        result.retryAfter,
      );
    }
    throw new AuthRequiredError(
      result.reason,
      result.reason === "auth-required"
        ? "Proxy authentication required: send Basic credentials (curl --proxy-user USER:PASSWORD, or http://USER:PASSWORD@proxy:port as the proxy URL)"
        : "Proxy authentication failed: unknown user or wrong password (users are in --auth-file)",
      this.#auth.challenge,
      result.user,
    );
  }

  /** The destination rules' verdict on `host:port` before DNS: throws 403 host-denied. */
  checkTarget(host: string, port: number): void {
    if (this.#hosts.size === 0) return;
    const d = this.#hosts.check(host, port);
    if (d !== "needs-address" && !d.allowed) throw this.#hostDenied(host, port, d.rule);
  }

  #hostDenied(host: string, port: number, rule: string, address?: string): ProxyError {
    const alias = loopbackAlias(address ?? host); // 0.0.0.0 is matched as loopback too
    const notes = [
      ...(address && address !== host ? [address] : []),
      ...(alias ? [`which reaches ${formatIp(alias)}`] : []),
    ];
    const where = formatAuthority(host, port) + (notes.length ? ` (${notes.join(", ")})` : "");
    const fix = rule.startsWith("default")
      ? `add --allow-host ${host} to allow it`
      : `change the --allow-host/--deny-host rules to allow it`;
    return new ProxyError(
      403,
      "host-denied",
      `Requests to ${where} are refused by ${rule}; ${fix}`,
    );
  }

  /**
   * The check for each address a dial to `host:port` tries, or `null` when no
   * rule looks at addresses. A private address under --deny-private passes
   * only when an --allow-host address rule (IP or CIDR, never a name, so DNS
   * cannot open it) allows it explicitly. An unspecified address (`0.0.0.0`,
   * `::`) is refused as the loopback address a connection to it reaches.
   */
  gate(host: string, port: number): AddressGate | null {
    if (!this.#denyPrivate && !this.#hosts.hasAddressRules) return null;
    return (address: string) => {
      const d = this.#hosts.check(host, port, address);
      if (d === "needs-address" || !d.allowed) {
        return this.#hostDenied(
          host,
          port,
          d === "needs-address" ? "unknown address" : d.rule,
          address,
        );
      }
      if (!this.#denyPrivate) return null;
      const alias = loopbackAlias(address);
      const kind = classifyAddress(alias ?? address);
      if (kind === "public") return null;
      const exempt = this.#exempt.check(address, port);
      if (exempt !== "needs-address" && exempt.allowed && exempt.rule.startsWith("--allow-host")) {
        return null;
      }
      const reached = alias === null ? address : formatIp(alias);
      const what = alias === null
        ? `${article(kind)} ${kind} address`
        : `which reaches the loopback address ${reached}`;
      return new ProxyError(
        403,
        "private-address",
        `${formatAuthority(host, port)} resolves to ${address}, ${what}, ` +
          `refused by --deny-private; allow it with --allow-host ${
            reached.includes(":") ? `[${reached}]` : reached
          }`,
      );
    };
  }
}
