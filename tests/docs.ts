/**
 * The README's option list, generated from the option table: the block between
 * `<!-- options:start -->` and `<!-- options:end -->` is `optionsMarkdown()`.
 * `deno task docs` rewrites it; tests/config_test.ts fails when it is stale.
 *
 * @module
 */

import { optionsMarkdown } from "../lib/config_help.ts";

/** The markers around the generated block. */
export const START = "<!-- options:start -->";
/** The end marker. */
export const END = "<!-- options:end -->";

/** The generated block of `readme` (between the markers, without them), or null if absent. */
export function optionsBlock(readme: string): string | null {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return null;
  return readme.slice(start + START.length, end).replace(/^\n+/, "").replace(/\n+$/, "\n");
}

/** `readme` with its block replaced by the current `optionsMarkdown()`. */
export function withOptionsBlock(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  return `${readme.slice(0, start + START.length)}\n\n${optionsMarkdown()}\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const path = "README.md";
  const before = await Deno.readTextFile(path);
  const after = withOptionsBlock(before);
  if (after !== before) await Deno.writeTextFile(path, after);
  console.log(
    after === before ? "README.md: option list up to date" : "README.md: option list rewritten",
  );
}
