/**
 * A short, fixed-seed run of the HTTP/1 fuzzer in tests/fuzz/fuzz.ts: 2,000
 * inputs must produce no finding. The long run is `deno task fuzz`.
 */

import assert from "node:assert/strict";
import { type Finding, fuzz } from "./fuzz.ts";

Deno.test("fuzz: 2,000 inputs with a fixed seed find nothing", () => {
  const first: Finding[] = [];
  const r = fuzz({
    count: 2_000,
    seconds: 30,
    seed: 0x5eed,
    onFinding(f) {
      if (first.length < 3) first.push(f);
    },
  });
  assert.equal(r.inputs, 2_000);
  const shown = first.map((f) => {
    const input = String.fromCharCode(...f.input.subarray(0, 300));
    return `${f.target}/${f.check}: ${f.detail}\n  input: ${JSON.stringify(input)}`;
  });
  assert.equal(r.findings, 0, `${r.findings} findings, the first:\n${shown.join("\n")}`);
});
