/**
 * The config file (`--config FILE`): JSON with comments and trailing commas,
 * whose keys are the long flag names:
 *
 * ```jsonc
 * {
 *   "listen": ["0.0.0.0:3128"],   // a repeatable option: an array (or one string)
 *   "pool-max": 0,                // seconds and counts: a number or a string
 *   "deny-private": true,         // a boolean option: true or false
 *   "allow-client": ["10.0.0.0/8"],
 *   "deny-client": "0.0.0.0/0",
 * }
 * ```
 *
 * Access rules apply in key order, then array order: above, the allow comes
 * before the deny. To interleave them, use the ordered form
 * `"client-rules": [{ "allow": "10.0.0.1" }, { "deny": "10.0.0.0/8" }, { "allow": "0.0.0.0/0" }]`
 * (and `"host-rules"`). `null` for any key means "as if absent" (the default).
 *
 * This module only turns text into option uses ({@linkcode parseConfigText})
 * and a configuration back into text ({@linkcode formatConfig}); it reads no
 * file. Pure: no I/O.
 *
 * @module
 */

import { type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import {
  ConfigFileError,
  OPTIONS,
  type OptionSpec,
  optionSpec,
  type RawUse,
  type RuleFamily,
  VERSION,
} from "./config_options.ts";
import { suggest } from "./config_help.ts";
import type { Config } from "./config.ts";
import { formatAuthority } from "./http1/target.ts";
import { REDACTED, redactParent } from "./config_urls.ts";
import type { RuleSpec } from "./policy/rule.ts";

/** The ordered-rule keys, one per family. */
const ORDERED_RULES: Record<string, RuleFamily> = {
  "client-rules": "client",
  "host-rules": "host",
};

/** Every key a config file may hold. */
const FILE_KEYS = [
  ...OPTIONS.filter((o) => o.file !== false).map((o) => o.name),
  ...Object.keys(ORDERED_RULES),
];

/** Maps offsets in a text to `LINE:COL` (both from 1). */
function positions(text: string): (offset: number) => string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return (offset) => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    return `${line + 1}:${offset - starts[line] + 1}`;
  };
}

/** `CommaExpected` -> `comma expected`. */
function words(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function describe(node: Node): string {
  return node.type === "null" ? "null" : `${/^[aeiou]/.test(node.type) ? "an" : "a"} ${node.type}`;
}

/**
 * Reads the text of a config file into option uses, in key order (array
 * elements in array order). Checks the file's shape: syntax, known keys (with
 * a "did you mean"), no key twice, each value's JSON type. The values
 * themselves are checked by `buildConfig`, like flags. Every error is a
 * {@linkcode ConfigFileError} reading `FILE:LINE:COL: "key": what is wrong`.
 *
 * @example
 * ```ts
 * import { parseConfigText } from "./config_file.ts";
 * parseConfigText('{ "pool-max": 0 }', "sluice.jsonc");
 * // [{ name: "pool-max", value: "0", where: 'sluice.jsonc:1:15: "pool-max"', file: true }]
 * ```
 */
export function parseConfigText(text: string, fileName: string): RawUse[] {
  const at = positions(text);
  const errorAt = (offset: number, message: string) =>
    new ConfigFileError(`${fileName}:${at(offset)}: ${message}`);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0];
    throw errorAt(e.offset, `syntax error: ${words(printParseErrorCode(e.error))}`);
  }
  if (root?.type !== "object") {
    throw errorAt(root?.offset ?? 0, 'expected an object of options: { "listen": [...], ... }');
  }
  const uses: RawUse[] = [];
  const seen = new Map<string, string>();
  for (const property of root.children ?? []) {
    const [keyNode, value] = property.children!;
    const key = String(keyNode.value);
    const spec = optionSpec(key);
    if (seen.has(key)) {
      throw errorAt(keyNode.offset, `"${key}": given twice (first at ${seen.get(key)})`);
    }
    seen.set(key, at(keyNode.offset));
    if (spec?.file === false) {
      throw errorAt(keyNode.offset, `"${key}": a command-line flag only, not allowed in the file`);
    }
    if (!spec && !(key in ORDERED_RULES)) {
      const near = suggest(key, FILE_KEYS);
      const hint = near ? `; did you mean "${near}"?` : "";
      throw errorAt(keyNode.offset, `unknown option "${key}"${hint}`);
    }
    if (value.type === "null") continue;
    const use = (v: string | boolean, node: Node, name = key): RawUse => ({
      name,
      value: v,
      where: `${fileName}:${at(node.offset)}: "${key}"`,
      file: true,
    });
    const bad = (node: Node, expected: string, saysWhat = true) =>
      errorAt(
        node.offset,
        `"${key}": expected ${expected}${saysWhat ? `, not ${describe(node)}` : ""}`,
      );
    if (spec) uses.push(...optionValues(spec, value, use, bad));
    else uses.push(...orderedRules(ORDERED_RULES[key], value, use, bad));
  }
  return uses;
}

type Use = (v: string | boolean, node: Node, name?: string) => RawUse;
type Bad = (node: Node, expected: string, saysWhat?: boolean) => ConfigFileError;

function scalar(spec: OptionSpec, node: Node, use: Use, bad: Bad, expected: string): RawUse {
  if (node.type === "string") return use(node.value, node);
  if (node.type === "number" && spec.number) return use(String(node.value), node);
  throw bad(node, expected);
}

function optionValues(spec: OptionSpec, node: Node, use: Use, bad: Bad): RawUse[] {
  if (spec.type === "boolean") {
    if (node.type !== "boolean") throw bad(node, "true or false");
    return [use(node.value, node)];
  }
  const expected = spec.number ? "a string or a number" : "a string";
  if (!spec.multiple) return [scalar(spec, node, use, bad, expected)];
  if (node.type !== "array") return [scalar(spec, node, use, bad, `${expected} or an array`)];
  return (node.children ?? []).map((item) =>
    scalar(spec, item, use, bad, `${expected} in the array`)
  );
}

function orderedRules(family: RuleFamily, node: Node, use: Use, bad: Bad): RawUse[] {
  const expected = '{ "allow": "..." } or { "deny": "..." }';
  if (node.type !== "array") throw bad(node, `an array of ${expected}`);
  return (node.children ?? []).map((item) => {
    const [property, extra] = item.children ?? [];
    const action = property?.children?.[0].value;
    const value = property?.children?.[1];
    if (
      item.type !== "object" || extra || (action !== "allow" && action !== "deny") ||
      value?.type !== "string"
    ) {
      throw bad(item, expected, item.type !== "object");
    }
    return use(value.value, value, `${action}-${family}`);
  });
}

/**
 * The error for a config file that cannot be read: says which flag the Deno
 * sandbox needs (`cannot read sluice.jsonc: the Deno sandbox does not allow
 * it; add --allow-read=sluice.jsonc`), or that there is no such file.
 */
export function readError(path: string, err: unknown): ConfigFileError {
  let why = err instanceof Error ? err.message : String(err);
  if (err instanceof Deno.errors.NotCapable) {
    why = `the Deno sandbox does not allow it; add --allow-read=${path}`;
  } else if (err instanceof Deno.errors.NotFound) why = "no such file";
  else if (err instanceof Deno.errors.PermissionDenied) why = "permission denied";
  else if (err instanceof Deno.errors.IsADirectory) why = "it is a directory";
  return new ConfigFileError(`cannot read ${path}: ${why}`);
}

/** The rules of a family as file keys, keeping their order. */
function formatRules(family: RuleFamily, rules: RuleSpec[]): [string, unknown][] {
  const runs = rules.filter((r, i) => i === 0 || rules[i - 1].action !== r.action).length;
  if (runs > 2) {
    return [[`${family}-rules`, rules.map((r) => ({ [r.action]: r.value }))]];
  }
  const first = rules[0]?.action ?? "allow";
  return [first, first === "allow" ? "deny" : "allow"].map((action) => [
    `${action}-${family}`,
    rules.filter((r) => r.action === action).map((r) => r.value),
  ]);
}

function fileValue(spec: OptionSpec, c: Config): [string, unknown][] {
  if (spec.key) {
    const n = c[spec.key];
    return [[spec.name, spec.unit === "seconds" ? n / 1000 : n]];
  }
  switch (spec.name) {
    case "listen":
      return [["listen", c.listen.map((a) => formatAuthority(a.hostname, a.port))]];
    case "connect-ports":
      return [["connect-ports", c.connectPorts ? [...c.connectPorts].join(",") : "*"]];
    case "allow-client":
      return formatRules("client", c.clientRules);
    case "allow-host":
      return formatRules("host", c.hostRules);
    case "root":
      return [["root", c.root]];
    case "upstream":
      return [["upstream", c.upstreams.map((a) => `http://${a}`)]];
    case "upstream-host":
      return [["upstream-host", c.upstreamHost]];
    case "trusted-proxy":
      return [["trusted-proxy", c.trustedProxies]];
    case "parent":
      return [["parent", c.parent === null ? null : redactParent(c.parent)]];
    case "no-parent":
      return [["no-parent", c.noParent]];
    case "no-forward":
      return [["no-forward", !c.forward]];
    case "dir-listing":
      return [["dir-listing", c.dirListing]];
    case "fallback":
      return [["fallback", c.fallback]];
    case "deny-private":
      return [["deny-private", c.denyPrivate]];
    case "auth-file":
      return [["auth-file", c.authFile]];
    case "auth-realm":
      return [["auth-realm", c.authRealm]];
    case "cache-size":
      return [["cache-size", String(c.cacheSize)]];
    case "cache-max-object":
      return [["cache-max-object", String(c.cacheMaxObject)]];
    case "allow-purge":
      return [["allow-purge", c.allowPurge]];
    case "via-name":
      return [["via-name", c.viaName]];
    case "no-via":
      return [["no-via", !c.via]];
    case "log-level":
      return [["log-level", c.logLevel]];
    case "access-log-format":
      return [["access-log-format", c.accessLogFormat]];
    case "access-log":
      return [["access-log", c.accessLog]];
    case "admin-listen":
      return [[
        "admin-listen",
        c.adminListen ? formatAuthority(c.adminListen.hostname, c.adminListen.port) : null,
      ]];
    case "admin-allow":
      return [["admin-allow", c.adminAllow]];
    default: // port (folded into listen), deny-client, deny-host (with allow-*)
      return [];
  }
}

/** JSON on one line, with a space after commas and inside braces. */
function json(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(json).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${json(v)}`);
    return `{ ${entries.join(", ")} }`;
  }
  return JSON.stringify(value);
}

/**
 * The configuration as a config file (`sluice --check`): every option a file
 * may hold, defaults included, each under a comment with its help. Loading
 * the text back gives an equal configuration, but for a `--parent` password:
 * it is printed as `***` (never shown), and a file holding `***` there is
 * refused until the real password is put back.
 */
export function formatConfig(config: Config): string {
  const lines = [
    `// sluice ${VERSION}: the effective configuration, itself a valid --config file`,
    '// ("port" is not listed: every listen address carries its port)',
    "{",
  ];
  for (const spec of OPTIONS) {
    if (spec.file === false) continue;
    for (const [key, value] of fileValue(spec, config)) {
      const help = key.endsWith("-rules")
        ? `${spec.rule!.family} rules, allow and deny interleaved, in the order given`
        : optionSpec(key)!.help;
      lines.push(`  // ${help}`);
      if (key === "parent" && String(value).includes(`:${REDACTED}@`)) {
        lines.push(`  // (the password is not shown: put it back in place of ${REDACTED})`);
      }
      lines.push(`  ${JSON.stringify(key)}: ${json(value)},`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
