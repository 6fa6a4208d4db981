/**
 * The values of the chain options (issue 14): `--upstream` and `--parent`
 * URLs, the `--upstream-host` authority, the `--no-parent` patterns, how
 * these options depend on each other ({@linkcode readChainOptions}), and the
 * `--parent` password kept out of `--check` output and messages. Problems
 * are thrown as `Problem`s, so the loader names the flag or file key. Pure.
 *
 * @module
 */

import { ParseError } from "./errors.ts";
import { formatAuthority, parseAuthorityTarget } from "./http1/target.ts";
import type { RawUse } from "./config_options.ts";
import type { Config } from "./config_types.ts";
import { fail, Problem, read, useError } from "./config_values.ts";
import { checkHostPattern } from "./policy/host_rules.ts";

/** A `--parent` URL, read. */
export interface ParentUrl {
  /** Host name (lower case, no trailing dot) or IP literal (IPv6 without brackets). */
  host: string;
  /** Port (always given). */
  port: number;
  /** `host:port`, IPv6 bracketed: the connection's name in logs and messages. */
  authority: string;
  /** User name (percent-decoded), or `null` without credentials. */
  user: string | null;
  /** Password (percent-decoded; `""` for `user@` or `user:@`), or `null` without credentials. */
  password: string | null;
  /** The URL in its stored form: `http://[USERINFO@]host:port`, USERINFO as written. */
  url: string;
}

/** What the redacted password reads in `--check` output. */
export const REDACTED = "***";

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** RFC 3986 userinfo: unreserved, pct-encoded, sub-delims and ":". */
const USERINFO = /^(?:[A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*$/;

/** The parts of `http://AUTHORITY[/]`, refusing anything else; `what` names the option. */
function splitUrl(
  s: string,
  what: string,
  form: string,
): { userinfo: string | null; hostport: string } {
  const scheme = SCHEME.exec(s)?.[1].toLowerCase();
  if (scheme === "https") fail(`https is not supported: ${what} takes http:// URLs only (${form})`);
  if (scheme === undefined) {
    const hint = /^[^/?#\s]+$/.test(s) ? ` (did you mean http://${s}?)` : "";
    fail(`expected a URL ${form}${hint}`);
  }
  if (scheme !== "http") fail(`${what} takes http:// URLs only (${form}), not ${scheme}://`);
  const rest = s.slice(scheme.length + 3);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? "" : rest.slice(end);
  if (tail.includes("#")) fail(`a fragment (#...) is not allowed (${form})`);
  if (tail.includes("?")) fail(`a query (?...) is not allowed (${form})`);
  if (tail !== "" && tail !== "/") {
    fail(`a path is not allowed: requests keep their own (${form})`);
  }
  const at = authority.lastIndexOf("@");
  return at < 0
    ? { userinfo: null, hostport: authority }
    : { userinfo: authority.slice(0, at), hostport: authority.slice(at + 1) };
}

/** Whether `HOST[:PORT]` has a port; an IPv6 literal without brackets is refused. */
function hasPort(hostport: string): boolean {
  if (hostport.startsWith("[")) return hostport.slice(hostport.indexOf("]") + 1).startsWith(":");
  const colons = hostport.split(":").length - 1;
  if (colons > 1) fail("an IPv6 address needs brackets, e.g. [::1]:8080");
  return colons === 1;
}

/** `host:port` read as CONNECT reads it; a problem worded without "request target". */
function hostPort(hostport: string): { host: string; port: number } {
  try {
    const { host, port } = parseAuthorityTarget(hostport);
    return { host, port };
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return fail(err.message.replace(/^Cannot parse request target: /, ""));
  }
}

/**
 * Reads an `--upstream` URL, `http://HOST[:PORT]` (port 80 by default, an
 * optional `/`), into its `host:port` authority (host lower case, IPv6 in
 * brackets), the form `Config.upstreams` holds. Refused: other schemes
 * (https included), user information, a path, a query, a fragment.
 *
 * @example
 * ```ts
 * import { parseUpstreamUrl } from "./config_urls.ts";
 * parseUpstreamUrl("http://App.internal:8000/"); // "app.internal:8000"
 * parseUpstreamUrl("http://[::1]"); // "[::1]:80"
 * ```
 */
export function parseUpstreamUrl(s: string): string {
  const form = "http://HOST[:PORT]";
  const { userinfo, hostport } = splitUrl(s, "--upstream", form);
  if (userinfo !== null) fail(`user information (USER:PASS@) is not allowed (${form})`);
  if (hostport === "") fail(`missing host (${form})`);
  const { host, port } = hostPort(hasPort(hostport) ? hostport : `${hostport}:80`);
  return formatAuthority(host, port);
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fail(`bad percent-encoding in the ${what}`);
  }
}

/**
 * Reads a `--parent` URL, `http://[USER:PASS@]HOST:PORT` (a port is
 * required; an optional `/`). USER and PASS are percent-decoded (write `@`
 * as `%40`, `:` in the user as `%3A`). A password that is exactly `***`, as
 * `--check` prints it, is refused: it was redacted, not given.
 *
 * @example
 * ```ts
 * import { parseParentUrl } from "./config_urls.ts";
 * const p = parseParentUrl("http://lab:s%40cret@Proxy.campus.example:3128");
 * // { host: "proxy.campus.example", port: 3128, user: "lab", password: "s@cret", ... }
 * p.url; // "http://lab:s%40cret@proxy.campus.example:3128"
 * ```
 */
export function parseParentUrl(s: string): ParentUrl {
  const form = "http://[USER:PASS@]HOST:PORT";
  const { userinfo, hostport } = splitUrl(s, "--parent", form);
  if (hostport === "") fail(`missing host (${form})`);
  if (!hasPort(hostport)) fail(`a port is required (${form}); a proxy has no default port`);
  const { host, port } = hostPort(hostport);
  const authority = formatAuthority(host, port);
  if (userinfo === null) {
    return { host, port, authority, user: null, password: null, url: `http://${authority}` };
  }
  if (!USERINFO.test(userinfo)) {
    fail("the user or password has a character that must be percent-encoded (@ is %40, % is %25)");
  }
  const colon = userinfo.indexOf(":");
  const rawUser = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const rawPassword = colon < 0 ? "" : userinfo.slice(colon + 1);
  if (rawPassword === REDACTED) {
    fail(`the password is "${REDACTED}", as --check prints it: put the real password back`);
  }
  const user = decode(rawUser, "user");
  const password = decode(rawPassword, "password");
  if (user === "") fail(`missing user before the password (${form})`);
  if (user.includes(":")) fail('a user name cannot contain ":" (Basic authentication)');
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(user + password)) fail("control characters in the user or password");
  return { host, port, authority, user, password, url: `http://${userinfo}@${authority}` };
}

/**
 * A `--parent` URL with its password replaced by `***`, for `--check` and
 * messages: whatever stands between the user's `:` and the last `@` (a
 * malformed URL included). A URL without a password is returned as is.
 *
 * @example
 * ```ts
 * import { redactParent } from "./config_urls.ts";
 * redactParent("http://lab:secret@proxy:3128"); // "http://lab:***@proxy:3128"
 * redactParent("http://proxy:3128"); // "http://proxy:3128"
 * ```
 */
export function redactParent(url: string): string {
  const sep = url.indexOf("://");
  const start = sep < 0 ? 0 : sep + 3;
  const at = url.lastIndexOf("@");
  const colon = url.indexOf(":", start);
  if (at < start || colon < 0 || colon + 1 >= at) return url;
  return `${url.slice(0, colon + 1)}${REDACTED}${url.slice(at)}`;
}

/**
 * Reads `--upstream-host`: the `Host` sent upstream, `HOST[:PORT]` (a name or
 * an IP literal, IPv6 in brackets), returned as given.
 *
 * @example
 * ```ts
 * import { parseUpstreamHost } from "./config_urls.ts";
 * parseUpstreamHost("app.internal:8080"); // "app.internal:8080"
 * ```
 */
export function parseUpstreamHost(s: string): string {
  const port = s !== "" && hasPort(s);
  if (s === "" || s.startsWith(":")) fail("expected HOST[:PORT], the Host header to send");
  hostPort(port ? s : `${s}:80`);
  return s;
}

/** The chain fields of {@linkcode Config} read here (`trustedProxies` is a CIDR list like the others). */
export type ChainFields = Pick<Config, "upstreams" | "upstreamHost" | "parent" | "noParent">;

/** Reads a use whose value may hold a password: a message shows it redacted. */
function readSecret<T>(use: RawUse, parse: (s: string) => T): T {
  try {
    return parse(String(use.value));
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    const raw = String(use.value);
    const shown = redactParent(raw);
    throw useError({ ...use, value: shown }, err.message.replaceAll(raw, shown));
  }
}

/** Refuses `use` (when given) with `problem`. */
function refuse(use: RawUse | undefined, problem: string): void {
  if (use) read(use, () => fail(problem));
}

/**
 * Reads `--upstream`, `--upstream-host`, `--parent` and `--no-parent` from
 * the option uses (`last`: the last use of each name), and checks how they
 * go together: `--upstream-host` and `--trusted-proxy` need `--upstream`,
 * `--no-parent` needs `--parent`, `--fallback` and `--upstream` exclude each
 * other (both would answer the paths no file matches), and an upstream may be
 * given once. A problem is a `ConfigError` naming the flag or file key.
 *
 * @example
 * ```ts
 * import { readChainOptions } from "./config_urls.ts";
 * const use = { name: "upstream", value: "http://127.0.0.1:8000", where: "--upstream" };
 * readChainOptions([use], new Map([["upstream", use]])).upstreams; // ["127.0.0.1:8000"]
 * ```
 */
export function readChainOptions(
  uses: readonly RawUse[],
  last: ReadonlyMap<string, RawUse>,
): ChainFields {
  const upstreams: string[] = [];
  for (const use of uses) {
    if (use.name !== "upstream") continue;
    const u = read(use, parseUpstreamUrl);
    if (upstreams.includes(u)) read(use, () => fail(`${u} is given twice`));
    upstreams.push(u);
  }
  const noUpstream = "only matters with --upstream URL (a reverse proxy)";
  const hostUse = last.get("upstream-host");
  if (upstreams.length === 0) {
    refuse(hostUse, noUpstream);
    refuse(uses.find((u) => u.name === "trusted-proxy"), noUpstream);
  } else {
    refuse(
      last.get("fallback"),
      "cannot be used with --upstream: paths that match no file go upstream",
    );
  }
  const parentUse = last.get("parent");
  const noParentUses = uses.filter((u) => u.name === "no-parent");
  if (!parentUse) refuse(noParentUses[0], "only matters with --parent URL");
  return {
    upstreams,
    upstreamHost: hostUse ? read(hostUse, parseUpstreamHost) : null,
    parent: parentUse ? readSecret(parentUse, (s) => parseParentUrl(s).url) : null,
    noParent: noParentUses.map((u) => read(u, (s) => (checkHostPattern(s), s))),
  };
}
