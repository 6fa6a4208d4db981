import assert from "node:assert/strict";
import { formatExposition, parseExposition } from "../../lib/admin/exposition.ts";

Deno.test("exposition: families round-trip through the parser, label values escaped", () => {
  const text = formatExposition([
    {
      name: "x_total",
      help: "Help with a \\ backslash\nand a newline.",
      type: "counter",
      samples: [{ labels: { a: 'q"uote', b: "back\\slash", c: "new\nline" }, value: 3 }],
    },
    { name: "g", help: "G.", type: "gauge", samples: [{ value: 0.25 }, { value: Infinity }] },
    {
      name: "h",
      help: "H.",
      type: "histogram",
      samples: [
        { suffix: "_bucket", labels: { le: "0.1" }, value: 1 },
        { suffix: "_bucket", labels: { le: "+Inf" }, value: 2 },
        { suffix: "_sum", value: 0.3 },
        { suffix: "_count", value: 2 },
      ],
    },
  ]);
  const p = parseExposition(text);
  assert.deepEqual(p.types, { x_total: "counter", g: "gauge", h: "histogram" });
  assert.deepEqual(p.samples[0], {
    name: "x_total",
    labels: { a: 'q"uote', b: "back\\slash", c: "new\nline" },
    value: 3,
  });
  assert.equal(p.samples[2].value, Infinity);
  assert.deepEqual(p.samples.map((s) => s.name), [
    "x_total",
    "g",
    "g",
    "h_bucket",
    "h_bucket",
    "h_sum",
    "h_count",
  ]);
  assert.match(text, /^# HELP x_total Help with a \\\\ backslash\\nand a newline\.$/m);
});

Deno.test("exposition parser: refuses what Prometheus would", () => {
  const bad = [
    "a 1\n", // no # TYPE
    "# TYPE a counter\na{x=1} 1\n", // unquoted label
    '# TYPE a counter\na{x="1"} one\n', // bad value
    "# TYPE a counter\n# TYPE a counter\n", // declared twice
    "# TYPE 1a counter\n", // bad name
    "# TYPE a counter\na 1", // no final newline
  ];
  for (const t of bad) assert.throws(() => parseExposition(t), SyntaxError, JSON.stringify(t));
});
