/**
 * A mutation fuzzer for the sans-io HTTP/1 code: the request and response
 * head parsers, framing of the heads they accept, and the chunked decoder on
 * both sides. Inputs start from the seeds in `corpus.ts`, are mutated by
 * `mutate.ts` and checked by `targets.ts`: only ParseError may be thrown, a
 * message fed in pieces must parse as it does in one, limits must hold, and
 * every loop must end.
 *
 * Run with `deno task fuzz [--count N] [--seconds S] [--seed X]` (or the
 * environment variables `FUZZ_COUNT`, `FUZZ_SECONDS`, `FUZZ_SEED`). It stops
 * after N inputs or S seconds, whichever comes first, prints each finding with
 * its input and exits 1 when there was any.
 *
 * @module
 */

import { type Seed, SEEDS } from "./corpus.ts";
import { mutate, Rng } from "./mutate.ts";
import { checkChunked, checkHead, type Reporter } from "./targets.ts";

/** One invariant violation, with the input that caused it. */
export interface Finding {
  /** What was being exercised, e.g. `request` or `chunked(origin)`. */
  target: string;
  /** Short name of the violated invariant. */
  check: string;
  /** Details: the outcomes or the message of the error thrown. */
  detail: string;
  /** The stack of an unexpected error, if one was thrown. */
  stack?: string;
  /** The whole input that led to the violation. */
  input: Uint8Array;
  /** The number of the input, from 0. */
  index: number;
}

/** Settings of one fuzzing run. */
export interface FuzzOptions {
  /** Most inputs to try. */
  count: number;
  /** Most seconds to run. */
  seconds: number;
  /** PRNG seed (32-bit). */
  seed: number;
  /** Called for every finding. */
  onFinding?: (f: Finding) => void;
  /** Called every `progressEvery` inputs. */
  onProgress?: (inputs: number, seconds: number, findings: number) => void;
  /** Inputs between progress calls (default 100,000). */
  progressEvery?: number;
}

/** What a run did. */
export interface FuzzResult {
  /** Inputs tried. */
  inputs: number;
  /** Findings reported. */
  findings: number;
  /** Seconds spent. */
  seconds: number;
  /** The seed used. */
  seed: number;
  /** Findings per `target/check`. */
  bySignature: Map<string, number>;
}

/** An input taking longer than this (all targets together) counts as a hang. */
const SLOW_MS = 2000;

/**
 * Fuzzes the HTTP/1 parsers, framing and chunked decoder until `count`
 * inputs or `seconds` have passed. Deterministic for a given seed and count.
 *
 * @example
 * ```ts
 * import { fuzz } from "./fuzz.ts";
 * const r = fuzz({ count: 1000, seconds: 10, seed: 1 });
 * console.log(r.inputs, r.findings); // 1000 and, when all is well, 0
 * ```
 */
export function fuzz(options: FuzzOptions): FuzzResult {
  const rng = new Rng(options.seed);
  const every = options.progressEvery ?? 100_000;
  const bySignature = new Map<string, number>();
  const pool: Pick<Seed, "kind" | "bytes">[] = [];
  let findings = 0;
  let input: Uint8Array = new Uint8Array(0);
  let index = 0;
  const rep: Reporter = {
    report(target, check, detail, error) {
      findings++;
      const sig = `${target}/${check}`;
      bySignature.set(sig, (bySignature.get(sig) ?? 0) + 1);
      const stack = error instanceof Error ? error.stack : undefined;
      options.onFinding?.({ target, check, detail, stack, input, index });
    },
  };
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  for (; index < options.count; index++) {
    if ((index & 63) === 0 && elapsed() >= options.seconds) break;
    if (index > 0 && index % every === 0) options.onProgress?.(index, elapsed(), findings);
    const base = pool.length > 0 && rng.chance(0.25) ? rng.pick(pool) : rng.pick(SEEDS);
    const other = rng.pick(SEEDS).bytes;
    input = rng.chance(0.03) ? base.bytes : mutate(rng, base.bytes, other);
    const all = rng.chance(0.1);
    const before = findings;
    const started = performance.now();
    if (base.kind === "request" || all) checkHead(rep, rng, "request", input);
    if (base.kind === "response" || all) checkHead(rep, rng, "response", input);
    if (base.kind === "chunked" || all) {
      checkChunked(rep, rng, input, false);
      checkChunked(rep, rng, input, true);
    }
    const ms = performance.now() - started;
    if (ms > SLOW_MS) rep.report("input", "slow", `took ${Math.round(ms)} ms (hang guard)`);
    // keep some mutants as bases for later ones, to get deeper into the formats
    if (findings === before && rng.chance(0.02) && input.length < 16 * 1024) {
      const kept = { kind: base.kind, bytes: input };
      if (pool.length < 512) pool.push(kept);
      else pool[rng.int(pool.length)] = kept;
    }
  }
  return { inputs: index, findings, seconds: elapsed(), seed: options.seed, bySignature };
}

/** Latin-1 text of at most `max` bytes of `b`, as a JSON string. */
function asJson(b: Uint8Array, max: number): string {
  let s = "";
  for (let i = 0; i < Math.min(b.length, max); i++) s += String.fromCharCode(b[i]);
  return JSON.stringify(s);
}

function asHex(b: Uint8Array, max: number): string {
  let s = "";
  for (let i = 0; i < Math.min(b.length, max); i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** Reads `--name value` / `--name=value`, else the environment variable, else `fallback`. */
function option(args: string[], name: string, env: string, fallback: number): number {
  let raw: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) raw = args[i + 1];
    else if (args[i].startsWith(`--${name}=`)) raw = args[i].slice(name.length + 3);
  }
  if (
    raw === undefined &&
    Deno.permissions.querySync({ name: "env", variable: env }).state === "granted"
  ) {
    raw = Deno.env.get(env);
  }
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: not a number: ${raw}`);
  return v;
}

/** Prints at most this many findings of each kind in full. */
const SHOWN_PER_SIGNATURE = 3;

if (import.meta.main) {
  const args = Deno.args;
  const count = option(args, "count", "FUZZ_COUNT", 1_000_000);
  const seconds = option(args, "seconds", "FUZZ_SECONDS", 300);
  const randomSeed = (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
  const seed = option(args, "seed", "FUZZ_SEED", randomSeed) >>> 0;
  console.log(`fuzz: seed ${seed}, up to ${count} inputs or ${seconds} s`);
  const shown = new Map<string, number>();
  const result = fuzz({
    count,
    seconds,
    seed,
    onProgress(n, s, f) {
      console.log(`fuzz: ${n} inputs, ${Math.round(n / s)} inputs/s, ${f} findings`);
    },
    onFinding(f) {
      const sig = `${f.target}/${f.check}`;
      const k = (shown.get(sig) ?? 0) + 1;
      shown.set(sig, k);
      if (k > SHOWN_PER_SIGNATURE) return;
      console.log(`FINDING ${sig} (input #${f.index}, ${f.input.length} bytes): ${f.detail}`);
      console.log(`  input (latin-1 JSON): ${asJson(f.input, 4096)}`);
      console.log(`  input (hex): ${asHex(f.input, 2048)}${f.input.length > 2048 ? "..." : ""}`);
      if (f.stack) console.log(`  stack: ${f.stack}`);
    },
  });
  for (const [sig, n] of result.bySignature) console.log(`fuzz: ${n} x ${sig}`);
  const rate = result.seconds > 0 ? Math.round(result.inputs / result.seconds) : 0;
  console.log(`fuzz: ${rate} inputs/s`);
  console.log(
    `fuzz: ${result.inputs} inputs, ${result.findings} findings, ` +
      `${result.seconds.toFixed(1)} s, seed ${seed}`,
  );
  if (result.findings > 0) Deno.exit(1);
}
