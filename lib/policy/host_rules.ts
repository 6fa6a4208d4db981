/**
 * Where clients may go: `--allow-host` / `--deny-host` destination rules,
 * applied to plain requests and CONNECT alike, evaluated in order with the
 * first match deciding. Pure: no I/O.
 *
 * Pattern syntax, each optionally followed by `:PORT` (1-65535):
 * - `example.com`: that name exactly;
 * - `*.example.com`: any subdomain at any depth (`a.example.com`,
 *   `a.b.example.com`), but NOT `example.com` itself: add a second rule for
 *   the apex;
 * - an IPv4 address or range (`10.0.0.1`, `10.0.0.0/8`), or an IPv6 address
 *   or range in brackets (`[::1]`, `[fd00::]/8`).
 *
 * Names are case-insensitive and a trailing dot is ignored. Examples:
 * `example.com:443`, `*.edu:80`, `10.0.0.0/8:22`, `[::1]:8080`.
 *
 * @module
 */

import { Cidr, loopbackAlias, parseIp } from "./address.ts";
import { type Decision, RuleError, type RuleSpec } from "./rule.ts";

interface HostRule {
  allowed: boolean;
  /** Exact name or wildcard suffix (without `*.`), lower case; "" for an IP rule. */
  name: string;
  wildcard: boolean;
  range: Cidr | null;
  /** Required port, or 0 for any. */
  port: number;
  text: string;
}

const LABEL = /^[a-z0-9-]+$/;
const PORT = /^[0-9]{1,5}$/;

/** Lower case, without one trailing dot. */
function normalizeName(s: string): string {
  const lower = s.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** Checks a host name (after `*.` is removed); returns why it is bad, or null. */
function badName(name: string): string | null {
  if (name.length > 253) return "bad host name: longer than 253 characters";
  for (const label of name.split(".")) {
    if (label === "") return "bad host name: empty label";
    if (label.length > 63) return "bad host name: label longer than 63 characters";
    if (!LABEL.test(label)) {
      return "bad host name: only letters, digits, hyphens and dots are allowed";
    }
  }
  return null;
}

function parseRule(spec: RuleSpec, subject = `--${spec.action}-host "${spec.value}"`): HostRule {
  const { action, value } = spec;
  const flag = `--${action}-host`;
  const fail = (why: string) => new RuleError(`Cannot parse ${subject}: ${why}`);
  let host = value;
  let portText: string | null = null;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close < 0) throw fail("unclosed [");
    const colon = value.indexOf(":", close);
    if (colon >= 0) [host, portText] = [value.slice(0, colon), value.slice(colon + 1)];
  } else {
    const colons = value.split(":").length - 1;
    if (colons > 1) throw fail("an IPv6 address needs brackets, e.g. [::1] or [fd00::]/8");
    if (colons === 1) [host, portText] = value.split(":");
  }
  let port = 0;
  if (portText !== null) {
    port = Number(portText);
    if (!PORT.test(portText) || port < 1 || port > 65535) throw fail("bad port (must be 1-65535)");
  }
  const rule = { allowed: action === "allow", name: "", wildcard: false, range: null, port };
  const text = `${flag} ${value}`;
  if (host === "") throw fail("missing host");
  if (host.startsWith("[") || host.includes("/") || /^[0-9.]+$/.test(host)) {
    return { ...rule, range: Cidr.parse(host, subject), text };
  }
  let name = normalizeName(host);
  const wildcard = name.startsWith("*.");
  if (wildcard) name = name.slice(2);
  if (name.includes("*")) {
    throw fail(`"*" is allowed only as the whole first label, e.g. *.example.com`);
  }
  const why = badName(name);
  if (why !== null) throw fail(why);
  return { ...rule, name, wildcard, text };
}

/**
 * Checks one host pattern (the syntax above) without building a rule list,
 * for options that take the patterns of `--allow-host` (`--no-parent`).
 * `subject` names it in the message (default: the text in quotes).
 *
 * @throws {RuleError} `Cannot parse "example.com:0": bad port (must be 1-65535)`
 *
 * @example
 * ```ts
 * import { checkHostPattern } from "./host_rules.ts";
 * checkHostPattern("*.campus.example"); // fine
 * checkHostPattern("10.0.0.0/8:22"); // fine
 * ```
 */
export function checkHostPattern(value: string, subject = `"${value}"`): void {
  parseRule({ action: "allow", value }, subject);
}

/**
 * An ordered destination access list.
 *
 * A name or wildcard rule matches a request whose target host is a name;
 * an IP/CIDR rule matches a target host that is an IP literal in its range,
 * or, for a named host, the address actually dialled after DNS. An
 * unspecified address (`0.0.0.0`, `::`) is matched as itself and as the
 * loopback address a connection to it reaches (`127.0.0.1`, `::1`), so
 * `--deny-host 127.0.0.1` refuses `0.0.0.0` too. When no rule matches, the
 * request is denied if any allow rule exists, else allowed.
 *
 * @example
 * ```ts
 * import { HostRules } from "./host_rules.ts";
 * const rules = new HostRules([
 *   { action: "allow", value: "*.example.com:443" },
 *   { action: "deny", value: "10.0.0.0/8" },
 *   { action: "allow", value: "example.org" },
 * ]);
 * rules.check("www.example.com", 443); // { allowed: true, rule: "--allow-host *.example.com:443" }
 * rules.check("example.org", 80); // "needs-address": the 10.0.0.0/8 rule comes first
 * rules.check("example.org", 80, "10.1.1.1"); // { allowed: false, rule: "--deny-host 10.0.0.0/8" }
 * rules.check("example.org", 80, "93.184.215.14"); // { allowed: true, rule: "--allow-host example.org" }
 * ```
 */
export class HostRules {
  #rules: HostRule[];
  #hasAllow: boolean;
  #hasAddressRules: boolean;

  /**
   * Compiles the rules, in order.
   *
   * @throws {RuleError} for a bad pattern, e.g.
   * `Cannot parse --deny-host "example.com:0": bad port (must be 1-65535)`.
   */
  constructor(specs: readonly RuleSpec[]) {
    this.#rules = specs.map((spec) => parseRule(spec));
    this.#hasAllow = this.#rules.some((r) => r.allowed);
    this.#hasAddressRules = this.#rules.some((r) => r.range !== null);
  }

  /** The number of rules. */
  get size(): number {
    return this.#rules.length;
  }

  /** Whether any IP/CIDR rule exists, i.e. whether {@linkcode check} can return `"needs-address"`. */
  get hasAddressRules(): boolean {
    return this.#hasAddressRules;
  }

  /**
   * Decides whether a request to `host:port` may go on. `host` is the target
   * host (a name, or an IP literal without brackets); `address` is the IP
   * being dialled after DNS, when known.
   *
   * Returns `"needs-address"` when, walking the rules in order, an IP/CIDR
   * rule is reached (its port matching) while `host` is a name and no
   * `address` is given: the caller resolves the name and checks again for
   * each address it dials. An `address` that is not an IP literal is denied
   * (rule `unknown destination address`).
   */
  check(host: string, port: number, address?: string): Decision | "needs-address" {
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    const hostIp = parseIp(bare.endsWith(".") ? bare.slice(0, -1) : bare); // 127.0.0.1. too
    const name = hostIp === null ? normalizeName(host) : ""; // "" matches no name rule
    let addr: Uint8Array | null = null;
    if (address !== undefined && hostIp === null) {
      addr = parseIp(address);
      if (addr === null) return { allowed: false, rule: "unknown destination address" };
    }
    const ip = hostIp ?? addr;
    const alias = ip === null ? null : loopbackAlias(ip);
    for (const r of this.#rules) {
      if (r.port !== 0 && r.port !== port) continue;
      let hit: boolean;
      if (r.range !== null) {
        if (ip === null) return "needs-address";
        hit = r.range.contains(ip) || (alias !== null && r.range.contains(alias));
      } else {
        hit = r.wildcard ? name.endsWith("." + r.name) : name === r.name;
      }
      if (hit) return { allowed: r.allowed, rule: r.text };
    }
    if (this.#hasAllow) return { allowed: false, rule: "default (no --allow-host rule matched)" };
    return { allowed: true, rule: "default (no rules)" };
  }
}
