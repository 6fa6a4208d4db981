/**
 * The Deno flags sluice runs with, read from the one place they are defined:
 * the `serve` task in deno.json (`deno run -P --v8-flags=... main.ts`). Tests
 * and benchmarks start the proxy with exactly these, so they measure what
 * `deno task serve` and the compiled binary run.
 *
 * @module
 */

const config = JSON.parse(
  Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
) as { tasks: Record<string, string> };

/** Splits a task command line on spaces (the tasks use no quoting). */
export function taskWords(name: string): string[] {
  const task = config.tasks[name];
  if (task === undefined) throw new Error(`deno.json has no task "${name}"`);
  return task.split(/\s+/).filter((w) => w !== "");
}

/** `deno run` flags of the serve task, from "run" up to (not including) main.ts. */
export const SERVE_FLAGS: readonly string[] = (() => {
  const words = taskWords("serve");
  const main = words.indexOf("main.ts");
  if (words[0] !== "deno" || words[1] !== "run" || main < 0) {
    throw new Error(`Unexpected serve task: ${words.join(" ")}`);
  }
  return words.slice(1, main);
})();

/** The runtime flags alone (permissions and V8 flags), without "run". */
export const RUNTIME_FLAGS: readonly string[] = SERVE_FLAGS.slice(1);
