/**
 * Which clients may use the proxy: `--allow-client` / `--deny-client` rules,
 * each an IP address or CIDR range (IPv4 or IPv6), evaluated in order with
 * the first match deciding. Pure: no I/O.
 *
 * @module
 */

import { Cidr, parseIp } from "./address.ts";
import type { Decision, RuleSpec } from "./rule.ts";

interface ClientRule {
  allowed: boolean;
  range: Cidr;
  text: string;
}

/**
 * An ordered client access list.
 *
 * With no matching rule the default is to allow when there is no allow rule
 * at all (a deny list), and to deny when any allow rule exists (an allow
 * list). IPv4-mapped client addresses (`::ffff:10.1.2.3`, as reported for
 * IPv4 clients of a `[::]` listener) match IPv4 rules.
 *
 * @example
 * ```ts
 * import { ClientRules } from "./client_rules.ts";
 * const rules = new ClientRules([
 *   { action: "deny", value: "10.9.0.0/16" },
 *   { action: "allow", value: "10.0.0.0/8" },
 * ]);
 * console.log(rules.check("10.9.1.1")); // { allowed: false, rule: "--deny-client 10.9.0.0/16" }
 * console.log(rules.check("::ffff:10.1.2.3")); // { allowed: true, rule: "--allow-client 10.0.0.0/8" }
 * console.log(rules.check("192.0.2.1")); // { allowed: false, rule: "default (no --allow-client rule matched)" }
 * ```
 */
export class ClientRules {
  #rules: ClientRule[];
  #hasAllow: boolean;

  /**
   * Compiles the rules, in order.
   *
   * @throws {RuleError} for a value that is not an IP or CIDR, e.g.
   * `Cannot parse --allow-client "10.0.0.300/8": bad IPv4 address`.
   */
  constructor(specs: readonly RuleSpec[]) {
    this.#rules = specs.map((spec) => {
      const flag = `--${spec.action}-client`;
      return {
        allowed: spec.action === "allow",
        range: Cidr.parse(spec.value, `${flag} "${spec.value}"`),
        text: `${flag} ${spec.value}`,
      };
    });
    this.#hasAllow = this.#rules.some((r) => r.allowed);
  }

  /** Whether any `--allow-client` rule exists (then unmatched clients are denied). */
  get hasAllowRules(): boolean {
    return this.#hasAllow;
  }

  /** The number of rules. */
  get size(): number {
    return this.#rules.length;
  }

  /**
   * Decides whether the client at `ip` (the peer address as the listener
   * reports it) may connect. An address that does not parse is denied with
   * the rule `unknown client address`.
   */
  check(ip: string): Decision {
    const addr = parseIp(ip);
    if (addr === null) return { allowed: false, rule: "unknown client address" };
    for (const r of this.#rules) {
      if (r.range.contains(addr)) return { allowed: r.allowed, rule: r.text };
    }
    if (this.#hasAllow) return { allowed: false, rule: "default (no --allow-client rule matched)" };
    return { allowed: true, rule: "default (no rules)" };
  }
}
