/**
 * The runtime flags are defined once, in deno.json's serve task; the compile
 * task and the release workflow must bake in exactly the same ones, or the
 * binary would run differently from `deno task serve` and the tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RUNTIME_FLAGS, SERVE_FLAGS, taskWords } from "./serve_flags.ts";

const release = Deno.readTextFileSync(
  new URL("../.github/workflows/release.yml", import.meta.url),
);

Deno.test("serve task: deno run, the runtime flags, main.ts and nothing after it", () => {
  assert.deepEqual(taskWords("serve"), ["deno", ...SERVE_FLAGS, "main.ts"]);
  assert.equal(SERVE_FLAGS[0], "run");
  assert.ok(RUNTIME_FLAGS.includes("-P"), "the permission set comes from deno.json (-P)");
  assert.ok(
    RUNTIME_FLAGS.some((f) => f.startsWith("--v8-flags=")),
    "the V8 flags that bound peak RSS",
  );
  const v8 = RUNTIME_FLAGS.find((f) => f.startsWith("--v8-flags="))!.slice("--v8-flags=".length)
    .split(",");
  assert.ok(v8.includes("--expose-gc"), "the memory reclaimer's gc() (lib/memory_reclaimer.ts)");
});

Deno.test("compile task: the same runtime flags, the worker entry point, then main.ts", () => {
  const words = taskWords("compile");
  assert.deepEqual(words.slice(0, 2), ["deno", "compile"]);
  assert.equal(words.at(-1), "main.ts", "nothing after main.ts (it would be baked in as args)");
  const flags = words.slice(2, -1);
  for (const f of RUNTIME_FLAGS) assert.ok(flags.includes(f), `compile lacks ${f}`);
  const include = flags.indexOf("--include");
  assert.equal(flags[include + 1], "lib/worker.ts");
  const others = flags.filter((f, i) =>
    !RUNTIME_FLAGS.includes(f) && !(i === include || i === include + 1) &&
    !(f === "--output" || flags[i - 1] === "--output")
  );
  assert.deepEqual(others, [], "no runtime flag that serve does not have");
});

Deno.test("release workflow: compiles with the same flags as the compile task", () => {
  const line = release.split("\n").find((l) => l.trim().startsWith("deno compile "));
  assert.ok(line, "release.yml has a deno compile line");
  const words = line.trim().split(/\s+/);
  for (const f of RUNTIME_FLAGS) assert.ok(words.includes(f), `release.yml lacks ${f}`);
  assert.equal(words[words.indexOf("--include") + 1], "lib/worker.ts");
  assert.equal(words.at(-1), "main.ts");
});
