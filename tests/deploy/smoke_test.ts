/**
 * deploy/smoke.sh, the script the release workflow runs on each compiled
 * binary, run here against `deno run` with the serve task's flags in place of
 * the binary (`deno compile` cannot fetch its runtime here). The narrowed
 * build is `deno run --allow-net=127.0.0.1:PORT` with the same V8 flags, as
 * the workflow compiles it. The script must pass on a good build and fail,
 * saying which check, when a check does not hold.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RUNTIME_FLAGS, SERVE_FLAGS } from "../serve_flags.ts";
import { ROOT } from "../e2e/harness.ts";

const DENO = Deno.execPath();
const SERVE = [DENO, ...SERVE_FLAGS, "main.ts"];
/** deno.json's "workers" permission set instead of the default. */
const WORKERS = SERVE.map((w) => w === "-P" ? "-P=workers" : w);

/** Runs deploy/smoke.sh COMMAND... with `env`; exit code and output (stdout and stderr). */
async function smoke(
  cmd: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("bash", {
    args: ["deploy/smoke.sh", ...cmd],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** A loopback port that was free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

Deno.test("smoke.sh against deno run: version, proxy and CONNECT, --workers 2, narrowed refusal", async () => {
  const port = freePort();
  const narrow = [DENO, "run", `--allow-net=127.0.0.1:${port}`];
  narrow.push(...RUNTIME_FLAGS.filter((f) => f !== "-P"), "main.ts");
  const { code, out } = await smoke(SERVE, {
    SMOKE_WORKERS_CMD: WORKERS.join(" "),
    SMOKE_NARROW_CMD: narrow.join(" "),
    SMOKE_NARROW_PORT: String(port),
  });
  assert.equal(code, 0, out);
  for (
    const line of [
      /^smoke: ok {3}version: sluice \d+\.\d+\.\d+$/m,
      /^smoke: ok {3}proxy: \/healthz on 127\.0\.0\.1:\d+ says 200$/m,
      /^smoke: ok {3}proxy: GET http:\/\/127\.0\.0\.1:\d+\/hello\.txt through it$/m,
      /^smoke: ok {3}proxy: CONNECT 127\.0\.0\.1:\d+ tunnel$/m,
      /^smoke: ok {3}proxy: SIGTERM, exit 0$/m,
      /^smoke: ok {3}workers: --workers 2 serves, as expected$/m,
      /^smoke: ok {3}narrow: 127\.0\.0\.1:\d+ refused \(403 permission-denied\), still running$/m,
      /^smoke: all 8 checks passed$/m,
    ]
  ) assert.match(out, line);
});

Deno.test("smoke.sh: --workers 2 under the default set asks for read access, and it says so", async () => {
  const expected = await smoke(SERVE, {
    SMOKE_STEPS: "workers",
    SMOKE_WORKERS_EXPECT: "port-in-use|asks-read", // any of a "|" list passes
  });
  assert.equal(expected.code, 0, expected.out);
  assert.match(
    expected.out,
    /^smoke: note --workers 2: sluice: cannot start 1 worker\(s\): a worker needs read access/m,
  );
  assert.match(expected.out, /^smoke: ok {3}workers: --workers 2 asks-read, as expected$/m);

  // the release expects "serves": the same outcome must then fail the job
  const failed = await smoke(SERVE, { SMOKE_STEPS: "workers" });
  assert.equal(failed.code, 1, failed.out);
  assert.match(failed.out, /^smoke: FAIL workers: --workers 2 asks-read, expected serves$/m);
  assert.match(failed.out, /^--- last lines of workers\.log$/m);
});

Deno.test("smoke.sh: a build that is not sluice fails the version check", async () => {
  const r = await smoke(["bash", "-c", 'echo "hello $*"', "not-sluice"], {
    SMOKE_STEPS: "version",
  });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^smoke: FAIL version: printed 'hello --version'$/m);
});
