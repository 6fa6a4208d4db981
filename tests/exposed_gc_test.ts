import assert from "node:assert/strict";
import { exposedGc, reclaimingGc } from "../lib/exposed_gc.ts";
import { SERVE_FLAGS } from "./serve_flags.ts";

Deno.test("exposedGc and reclaimingGc are null without --expose-gc (deno test runs without it)", () => {
  assert.equal(exposedGc(), null);
  assert.equal(reclaimingGc(), null);
});

/** A child with the serve task's V8 flags: fills the heap, drops it, collects, reports RSS. */
const CHILD = `
import { exposedGc, reclaimingGc } from "${new URL("../lib/exposed_gc.ts", import.meta.url)}";
const kib = () => Number(/VmRSS:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1]);
const base = kib();
let keep = [];
for (let i = 0; i < 1_000_000; i++) keep.push({ a: i, b: [i, i + 1], c: "x" + i });
const loaded = kib();
keep = [];
const gc = Deno.args[0] === "plain" ? exposedGc() : reclaimingGc();
gc();
console.log(JSON.stringify({ base, loaded, after: kib() }));
`;

async function run(
  kind: "plain" | "reclaiming",
): Promise<{ base: number; loaded: number; after: number }> {
  const flags = SERVE_FLAGS.filter((f) => f.startsWith("--v8-flags="));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...flags, "--allow-read=/proc/self/status", "--ext=js", CHILD, kind],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("reclaimingGc gives the emptied heap pages back to the system; a plain gc() keeps them", async () => {
  const plain = await run("plain");
  const reclaiming = await run("reclaiming");
  const grown = plain.loaded - plain.base;
  assert.ok(grown > 80 * 1024, `the child's heap grew by ${grown} KiB`);
  // plain: most of the growth stays resident; reclaiming: most of it is gone
  assert.ok(plain.after - plain.base > grown / 2, JSON.stringify(plain));
  assert.ok(
    reclaiming.after - reclaiming.base < (reclaiming.loaded - reclaiming.base) / 4,
    JSON.stringify(reclaiming),
  );
});
