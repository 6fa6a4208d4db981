/**
 * .github/workflows/release.yml cannot run here: check that it parses, that
 * each of the five targets is compiled on a runner that can run it, and that
 * the binary is smoke-tested (deploy/smoke.sh) before it is checksummed and
 * uploaded, with a narrowed variant for the refusal check. (The compile line's
 * flags are checked against deno.json by tests/serve_flags_test.ts.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "npm:yaml@^2.9.1";
import { RUNTIME_FLAGS } from "../serve_flags.ts";
import { ROOT } from "../e2e/harness.ts";

// deno-lint-ignore no-explicit-any
type Obj = any;

const text = Deno.readTextFileSync(`${ROOT}.github/workflows/release.yml`);
const workflow: Obj = parse(text);
const build = workflow.jobs.build;
const matrix: Obj[] = build.strategy.matrix.include;
const steps: Obj[] = build.steps;
const step = (name: string) => {
  const i = steps.findIndex((s) => s.name === name);
  assert.ok(i >= 0, `a step named ${name}`);
  return { i, run: String(steps[i].run), env: steps[i].env ?? {} };
};
/** The `deno compile` command lines of a step, as words. */
const compiles = (run: string) =>
  run.split("\n").filter((l) => l.trim().startsWith("deno compile ")).map((l) =>
    l.trim().split(/\s+/)
  );

Deno.test("release.yml: each of the five targets builds on a runner of its own platform", () => {
  const runners = Object.fromEntries(matrix.map((m) => [m.target, m.os]));
  assert.deepEqual(runners, {
    "x86_64-unknown-linux-gnu": "ubuntu-latest",
    "aarch64-unknown-linux-gnu": "ubuntu-24.04-arm",
    "x86_64-apple-darwin": "macos-15-intel",
    "aarch64-apple-darwin": "macos-latest",
    "x86_64-pc-windows-msvc": "windows-latest",
  });
  assert.equal(build["runs-on"], "${{ matrix.os }}");
  assert.equal(build.defaults.run.shell, "bash", "one script for every platform (Git Bash)");
  for (const m of matrix) assert.equal(m.ext, m.target.includes("windows") ? ".exe" : "");
  assert.equal(build.strategy["fail-fast"], true);
});

Deno.test("release.yml: the binary is smoke-tested before it is checksummed and uploaded", () => {
  const compile = step("Compile");
  const smoke = step("Smoke test");
  const checksum = step("Checksum");
  const upload = steps.findIndex((s) => String(s.uses).startsWith("actions/upload-artifact"));
  assert.ok(compile.i < smoke.i && smoke.i < checksum.i && checksum.i < upload);
  assert.match(
    smoke.run,
    /^SMOKE_NARROW_CMD="smoke\/sluice-narrow\$\{EXT\}" bash deploy\/smoke\.sh "dist\/sluice-\$\{TARGET\}\$\{EXT\}"$/m,
  );
  // the released binary is the first compile line (the one serve_flags_test checks)
  const [released] = compiles(text);
  assert.deepEqual(released, compiles(compile.run)[0]);
  assert.equal(released[released.indexOf("--output") + 1], '"dist/sluice-${TARGET}${EXT}"');
});

Deno.test("release.yml: the narrowed variant differs from the release only in --allow-net", () => {
  const smoke = step("Smoke test");
  const [narrow] = compiles(smoke.run);
  const [released] = compiles(step("Compile").run);
  assert.ok(narrow.includes("--allow-net=127.0.0.1:${SMOKE_NARROW_PORT}"));
  assert.ok(!narrow.includes("-P"), "no deno.json permission set (it allows every host)");
  assert.ok(/^\d+$/.test(smoke.env.SMOKE_NARROW_PORT));
  const same = (words: string[]) =>
    words.filter((w, i) =>
      !w.startsWith("--allow-net=") && w !== "-P" && w !== "--output" &&
      words[i - 1] !== "--output"
    );
  assert.deepEqual(same(narrow), same(released));
  for (const f of RUNTIME_FLAGS.filter((f) => f !== "-P")) assert.ok(narrow.includes(f), f);
  assert.ok(!narrow[narrow.indexOf("--output") + 1].includes("dist/"), "not released");
});

Deno.test("release.yml: --workers 2 must serve on Linux, and serve or say why elsewhere", () => {
  assert.equal(step("Smoke test").env.SMOKE_WORKERS_EXPECT, "${{ matrix.workers }}");
  for (const m of matrix) {
    const expected = m.target.includes("linux") ? "serves" : "serves|port-in-use";
    assert.equal(m.workers, expected, m.target);
  }
});

Deno.test("release.yml: the release job still expects five binaries", () => {
  assert.deepEqual(workflow.jobs.release.needs, "build");
  assert.match(String(workflow.jobs.release.steps[1].run), /-eq 5$/m);
  assert.equal(matrix.length, 5);
});

Deno.test(".gitattributes: shell scripts keep LF on a Windows checkout", () => {
  const attrs = Deno.readTextFileSync(`${ROOT}.gitattributes`);
  assert.match(attrs, /^\*\.sh text eol=lf$/m);
});
