/**
 * The Prometheus text exposition format, version 0.0.4: writing metric
 * families (`# HELP`, `# TYPE`, samples with escaped label values) and
 * reading them back (the tests check that what sluice serves round-trips).
 * Sans-io.
 *
 * @module
 */

/** A metric type. */
export type MetricType = "counter" | "gauge" | "histogram";

/** One sample: labels and value (a histogram's samples carry their own suffixes). */
export interface Sample {
  /** Sample name suffix (`_bucket`, `_sum`, `_count`) for histograms, "" otherwise. */
  suffix?: string;
  /** Label names and values. */
  labels?: Record<string, string>;
  /** The value. */
  value: number;
}

/** A metric family. */
export interface Family {
  /** Metric name (`sluice_requests_total`). */
  name: string;
  /** One line of help. */
  help: string;
  /** Its type. */
  type: MetricType;
  /** Its samples. */
  samples: Sample[];
}

/** The content type of this format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * Writes families in the text format (a trailing newline included).
 *
 * @example
 * ```ts
 * import { formatExposition } from "./exposition.ts";
 * formatExposition([{ name: "up", help: "Up.", type: "gauge", samples: [{ value: 1 }] }]);
 * // "# HELP up Up.\n# TYPE up gauge\nup 1\n"
 * ```
 */
export function formatExposition(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    for (const s of f.samples) {
      const labels = s.labels ? Object.entries(s.labels) : [];
      const l = labels.length === 0
        ? ""
        : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
      out.push(`${f.name}${s.suffix ?? ""}${l} ${formatValue(s.value)}\n`);
    }
  }
  return out.join("");
}

/** A sample as read back: its full name, labels and value. */
export interface ParsedSample {
  /** Full sample name (with any suffix). */
  name: string;
  /** Labels. */
  labels: Record<string, string>;
  /** Value. */
  value: number;
}

/** What {@linkcode parseExposition} reads: types, help and samples, in order. */
export interface ParsedExposition {
  /** `# TYPE` of each family. */
  types: Record<string, string>;
  /** `# HELP` of each family. */
  help: Record<string, string>;
  /** Every sample. */
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Reads the text format strictly: metric and label names must be valid, label
 * values properly escaped and quoted, values numbers (or NaN/+Inf/-Inf), each
 * sample's family declared by `# TYPE` before it, no family declared twice.
 * Throws a `SyntaxError` naming the line otherwise.
 *
 * @example
 * ```ts
 * import { parseExposition } from "./exposition.ts";
 * parseExposition('# TYPE a counter\na{x="1"} 2\n').samples[0].value; // 2
 * ```
 */
export function parseExposition(text: string): ParsedExposition {
  const out: ParsedExposition = { types: {}, help: {}, samples: [] };
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new SyntaxError("Cannot parse exposition: no final newline");
  lines.pop();
  lines.forEach((line, i) => {
    const fail = (why: string) =>
      new SyntaxError(`Cannot parse exposition line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!NAME.test(name)) throw fail("bad metric name");
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) {
        throw fail("bad type");
      }
      if (name in out.types) throw fail("family declared twice");
      out.types[name] = type;
      return;
    }
    if (line.startsWith("# HELP ")) {
      const rest = line.slice(7);
      const sp = rest.indexOf(" ");
      out.help[sp < 0 ? rest : rest.slice(0, sp)] = sp < 0 ? "" : rest.slice(sp + 1);
      return;
    }
    if (line.startsWith("#") || line === "") return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw fail("not a sample");
    const labels: Record<string, string> = {};
    if (m[3] !== undefined && m[3] !== "") {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\n"])*)"(,|$)/y;
      let pos = 0;
      while (pos < m[3].length) {
        re.lastIndex = pos;
        const l = re.exec(m[3]);
        if (!l) throw fail("bad label");
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        pos = re.lastIndex;
      }
    }
    const v = m[4] === "+Inf" ? Infinity : m[4] === "-Inf" ? -Infinity : Number(m[4]);
    if (m[4] !== "NaN" && Number.isNaN(v)) throw fail("bad value");
    const name = m[1];
    const family = name.replace(/_(bucket|sum|count)$/, "");
    if (!(name in out.types) && !(out.types[family] === "histogram")) {
      throw fail("sample before its # TYPE");
    }
    out.samples.push({ name, labels, value: v });
  });
  return out;
}
