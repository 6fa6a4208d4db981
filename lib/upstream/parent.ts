/**
 * A parent proxy (`--parent http://[user:pass@]host:port`, `--no-parent
 * PATTERN`), sans-io: the parsed parent with its `Proxy-Authorization`
 * value and which requests go through it. The heads sent to the parent and
 * what its answers mean are in parent_heads.ts, re-exported here.
 *
 * The password only ever lives in {@linkcode Parent.authorization} (a getter
 * over a private field, so `JSON.stringify`, `console.log` and
 * `Deno.inspect` of a parent do not show it); messages use
 * {@linkcode Parent.display} or {@linkcode redact}.
 *
 * @module
 */

import { formatAuthority, parseAuthorityTarget, type Target } from "../http1/target.ts";
import { ParseError } from "../errors.ts";
import { HostRules } from "../policy/host_rules.ts";
import { RuleError } from "../policy/rule.ts";

export {
  type ConnectOutcome,
  isParentRefusal,
  PARENT_REFUSED,
  parentConnectHead,
  parentConnectOutcome,
  parentRequestHead,
} from "./parent_heads.ts";

/** A `--parent` URL that cannot be used; config turns it into a ConfigError. */
export class ParentError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ParentError";
  }
}

/**
 * `url` with the password of its user information replaced by `***`, for
 * messages and logs. Works on any string, parseable or not: `scheme://` is
 * optional, and everything between the first `:` after it and the last `@`
 * is hidden (a password with an unencoded `/`, `?` or `#` included).
 *
 * @example
 * ```ts
 * import { redact } from "./parent.ts";
 * redact("http://alice:secret@proxy:3128"); // "http://alice:***@proxy:3128"
 * redact("alice:p@ss@proxy:3128/x"); // "alice:***@proxy:3128/x"
 * redact("http://proxy:3128"); // "http://proxy:3128"
 * ```
 */
export function redact(url: string): string {
  const sep = url.indexOf("://");
  const start = sep < 0 ? 0 : sep + 3;
  // the last "@" anywhere: a password with an unencoded "/", "?" or "#" is hidden too
  const at = url.lastIndexOf("@");
  if (at < start) return url;
  const colon = url.indexOf(":", start);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}

/** Percent-decodes one part of the user information. */
function decodePart(s: string, what: string, fail: (why: string) => ParentError): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw fail(`bad percent-encoding in the ${what}`);
  }
}

/** Base64 of the UTF-8 bytes of `s` (RFC 7617 with `charset="UTF-8"`). */
function base64Utf8(s: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(s)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A parsed `--parent`: where to connect and the `Proxy-Authorization` value
 * to send. Create it with {@linkcode parseParent}.
 *
 * @example
 * ```ts
 * import { parseParent } from "./parent.ts";
 * const p = parseParent("http://alice:secret@proxy.campus.edu:3128");
 * p.authority; // "proxy.campus.edu:3128"
 * p.authorization; // "Basic YWxpY2U6c2VjcmV0"
 * String(p); // "http://alice:***@proxy.campus.edu:3128"
 * ```
 */
export class Parent {
  /** Host name (lower case, no trailing dot) or IP literal (IPv6 without brackets). */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** `host:port` (IPv6 in brackets): what is dialled, and the pool key. */
  readonly authority: string;
  /** The user name, or `null` without credentials (not secret: it may be logged). */
  readonly user: string | null;
  /** `http://user:***@host:port` (or `http://host:port`): the parent in messages. */
  readonly display: string;
  readonly #authorization: string | null;

  /** Creates a parent; {@linkcode parseParent} validates its input first. */
  constructor(host: string, port: number, user: string | null, password: string | null) {
    this.host = host;
    this.port = port;
    this.authority = formatAuthority(host, port);
    this.user = user;
    const hasCredentials = user !== null && password !== null;
    this.#authorization = hasCredentials ? `Basic ${base64Utf8(`${user}:${password}`)}` : null;
    const userinfo = hasCredentials ? `${encodeURIComponent(user)}:***@` : "";
    this.display = `http://${userinfo}${this.authority}`;
  }

  /** The `Proxy-Authorization` value (`Basic ...`), or `null` without credentials. Never log it. */
  get authorization(): string | null {
    return this.#authorization;
  }

  /** {@linkcode Parent.display}. */
  toString(): string {
    return this.display;
  }

  /** What `JSON.stringify` writes: the fields without the credentials. */
  toJSON(): { host: string; port: number; user: string | null; display: string } {
    return { host: this.host, port: this.port, user: this.user, display: this.display };
  }

  /** What `console.log` and `Deno.inspect` show. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Parent(${this.display})`;
  }
}

/**
 * Parses `http://[user:pass@]host:port` (a trailing `/` allowed). The user
 * and password are percent-decoded (`%40` for `@`, `%3A` for `:` in the
 * user); `user@` is an empty password. The port is required, since parents
 * listen on 3128, 8080 or 80 with no default everyone agrees on; `host:port`
 * is read as a CONNECT target is.
 *
 * @throws {ParentError} e.g. `Cannot use --parent "https://x": only http:// parents`;
 * the password never appears in a message.
 *
 * @example
 * ```ts
 * import { parseParent } from "./parent.ts";
 * parseParent("http://[::1]:3128").authority; // "[::1]:3128"
 * parseParent("http://a%40b:p%3Aw@proxy:8080").authorization; // "Basic " + btoa("a@b:p:w")
 * ```
 */
export function parseParent(url: string): Parent {
  const fail = (why: string) => new ParentError(`Cannot use --parent "${redact(url)}": ${why}`);
  if (url === "") throw fail("empty URL; write http://host:port");
  // deno-lint-ignore no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(url)) {
    throw fail("spaces or control characters in the URL (percent-encode them: a space is %20)");
  }
  const sep = url.indexOf("://");
  if (sep < 0) throw fail(`not a URL; write it as http://${redact(url)}`);
  const scheme = url.slice(0, sep).toLowerCase();
  if (scheme !== "http") {
    throw fail(
      scheme === "https"
        ? "only http:// parents (sluice does not speak TLS to a parent)"
        : "only http:// parents",
    );
  }
  let rest = url.slice(sep + 3);
  let user: string | null = null;
  let password: string | null = null;
  // the last "@", as parseParent's users mean it: a password may hold an unencoded "@" or "/"
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const info = rest.slice(0, at);
    rest = rest.slice(at + 1);
    // `user@` and `user:@` are an empty password, as curl reads them
    const colon = info.indexOf(":");
    const rawPassword = colon < 0 ? "" : info.slice(colon + 1);
    if (rawPassword === "***") {
      throw fail('the password is "***", as messages show it: give the real password');
    }
    user = decodePart(colon < 0 ? info : info.slice(0, colon), "user name", fail);
    password = decodePart(rawPassword, "password", fail);
    if (user === "") throw fail("empty user name");
    if (user.includes(":")) throw fail('a user name cannot contain ":" (Basic authentication)');
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f\x7f]/.test(user + password)) {
      throw fail("control characters in the user name or password");
    }
  }
  if (/[?#]/.test(rest)) throw fail("a parent URL has no query or fragment");
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    if (rest.slice(slash) !== "/") throw fail("a parent URL has no path");
    rest = rest.slice(0, slash);
  }
  if (rest === "") throw fail("missing host; write http://host:port");
  if (!rest.startsWith("[") && rest.split(":").length > 2) {
    throw fail("an IPv6 address needs brackets, e.g. http://[::1]:3128");
  }
  const close = rest.startsWith("[") ? rest.indexOf("]") : -1;
  if (!rest.slice(close + 1).includes(":")) {
    throw fail(`missing port; write e.g. http://${rest}:3128 (a proxy has no default port)`);
  }
  let target: Target;
  try {
    // host:port exactly as a CONNECT target, so a parent is named as a destination would be
    target = parseAuthorityTarget(rest);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    throw fail(err.message.replace(/^Cannot parse request target: /, ""));
  }
  const { host, port } = target;
  return new Parent(host, port, user, password);
}

/**
 * Which requests go through the parent: every one, except those whose
 * target matches a `--no-parent` pattern (like `no_proxy`). Patterns are
 * those of `--allow-host` (lib/policy/host_rules.ts): `example.com` exactly,
 * `*.example.com` for its subdomains, `10.0.0.0/8`, `[::1]`, each with an
 * optional `:PORT`. A range matches an IP-literal target only: a name is
 * never resolved to decide (behind a parent, the name may not even resolve
 * here), so `--no-parent 10.0.0.0/8` does not catch `intranet.example`
 * even when it resolves into the range; name it too.
 *
 * @example
 * ```ts
 * import { ParentRoute, parseParent } from "./parent.ts";
 * const route = new ParentRoute(parseParent("http://proxy:3128"), ["*.campus.edu", "10.0.0.0/8"]);
 * route.useParent("example.com", 443); // true
 * route.useParent("www.campus.edu", 80); // false
 * route.useParent("10.1.2.3", 22); // false
 * ```
 */
export class ParentRoute {
  readonly #parent: Parent | null;
  /** One rule set per pattern, each a single allow rule: a match is an explicit allow. */
  readonly #patterns: HostRules[];

  /**
   * Compiles the patterns. With `parent` null nothing goes through a parent.
   *
   * @throws {RuleError} for a bad pattern, e.g.
   * `Cannot parse --no-parent "example.com:0": bad port (must be 1-65535)`.
   */
  constructor(parent: Parent | null, noParent: readonly string[] = []) {
    this.#parent = parent;
    this.#patterns = noParent.map((value) => {
      try {
        return new HostRules([{ action: "allow", value }]);
      } catch (err) {
        if (!(err instanceof RuleError)) throw err;
        throw new RuleError(err.message.replace("--allow-host", "--no-parent"));
      }
    });
  }

  /** The parent, or `null` when there is none. */
  get parent(): Parent | null {
    return this.#parent;
  }

  /**
   * Whether a request to `host:port` (the target's host: a name, or an IP
   * literal with or without brackets) goes through the parent.
   */
  useParent(host: string, port: number): boolean {
    if (this.#parent === null) return false;
    for (const rules of this.#patterns) {
      const d = rules.check(host, port);
      // "needs-address": a range pattern and a named host, which is no match
      if (d !== "needs-address" && d.allowed) return false;
    }
    return true;
  }
}
