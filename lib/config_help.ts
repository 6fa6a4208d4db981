/**
 * What is derived from the option table for people: `--help`, the README's
 * option list, and "did you mean" suggestions for a mistyped name.
 *
 * @module
 */

import { OPTIONS, VERSION } from "./config_options.ts";

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The closest of `names` to `given` (for "did you mean"), or undefined when
 * none is close: at most 2 edits (1 for short names), or a prefix.
 *
 * @example
 * ```ts
 * import { suggest } from "./config_help.ts";
 * suggest("pool-maxx", ["pool-max", "port"]); // "pool-max"
 * ```
 */
export function suggest(given: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const name of names) {
    const d = distance(given.toLowerCase(), name);
    if (d < bestD) [best, bestD] = [name, d];
  }
  if (best !== undefined && bestD <= (given.length <= 4 ? 1 : 2)) return best;
  return names.find((n) => given.length >= 3 && n.startsWith(given.toLowerCase()));
}

/** The `--help` text, generated from {@linkcode OPTIONS}. */
export function helpText(): string {
  const lines = [
    `sluice ${VERSION}: an HTTP/1.x forward proxy and static file server`,
    "",
    "Usage: sluice [PORT] [options]",
    "",
    "Options:",
  ];
  for (const o of OPTIONS) {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.arg ? ` ${o.arg}` : ""}`;
    const def = o.default ? ` (default ${o.default})` : "";
    lines.push(`  ${flag.padEnd(30)} ${o.help}${def}`);
  }
  lines.push("", "Example: curl -x http://127.0.0.1:8080 http://example.com/");
  return lines.join("\n");
}

function cell(s: string): string {
  return s.replaceAll("|", "\\|");
}

/**
 * The option list as a Markdown table (flag, argument, default, description),
 * padded the way `deno fmt` lays tables out, for the README block between
 * `<!-- options:start -->` and `<!-- options:end -->` (`deno task docs`).
 */
export function optionsMarkdown(): string {
  const rows = [["flag", "argument", "default", "description"]];
  for (const o of OPTIONS) {
    rows.push([
      `\`${o.short ? `-${o.short}, ` : ""}--${o.name}\``,
      o.arg ? `\`${o.arg}\`` : "",
      o.default ?? "",
      cell(o.help),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(3, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.slice(1).map(line),
  ].join("\n") + "\n";
}
