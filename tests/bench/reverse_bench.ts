/**
 * `deno task bench --reverse`: sluice as a reverse proxy (issue 14). 1 KiB
 * keep-alive (50 connections, origin-form `GET /1k.bin` with the proxy's own
 * authority as Host) through sluice `--upstream --no-forward --cache-size 0`,
 * nginx (`proxy_pass` to an `upstream` block, `keepalive 64`, one worker) and
 * HAProxy (`mode http`, `http-reuse always`, `nbthread 1`), straight at the
 * origin for reference, and through sluice as a forward proxy (absolute-form,
 * `--cache-size 0`) for its forward ratio. Each proxy on core 1 and wrk on
 * core 0 (taskset, two cores or more); `BENCH_REPS` interleaved repetitions
 * (default 3) of `BENCH_DURATION` seconds (default 10); the table shows
 * medians, the ratio to direct and the proxy's CPU per request (from
 * /proc/PID/stat, its children included: nginx's worker). The verdict: issue
 * 14 wants the reverse ratio at least the forward ratio.
 *
 * @module
 */

import { SERVE_FLAGS } from "../serve_flags.ts";
import { startOrigin } from "./bench.ts";
import { builtinLoad, type RunResult, runWrk, table, WORKLOADS } from "./load.ts";
import {
  freePort,
  HOST,
  type Proc,
  sh,
  spawn,
  waitForPort,
  which,
  writeNginxConfig,
} from "./procs.ts";
import { fileURLToPath } from "node:url";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (n: number, d = 0) => Number.isFinite(n) ? n.toFixed(d) : "n/a";

/** CPU seconds (user + system) of `pid` and its children, from /proc (USER_HZ 100). */
async function cpuSeconds(pid: number): Promise<number> {
  const out = await sh(
    `cat /proc/${pid}/stat $(sed 's|[0-9][0-9]*|/proc/&/stat|g' ` +
      `/proc/${pid}/task/*/children)`,
  );
  let ticks = 0;
  for (const line of out.split("\n").filter((l) => l.includes(")"))) {
    const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/** Seconds `deno task bench --reverse` may take (its hard limit). */
export function reverseLimit(): number {
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 10);
  const reps = Number(Deno.env.get("BENCH_REPS") ?? 3);
  return 5 * (reps * (seconds + 5) + 10) + 120;
}

/** A column of the table: how to reach it and what it runs. */
interface Target {
  name: string;
  port: number;
  /** wrk's request target and Host header. */
  target: string;
  host: string;
  proc: Proc | null;
}

/** Runs the comparison in `dir` (the caller bounds it in time and stops what it started). */
export async function benchReverse(dir: string): Promise<void> {
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 10);
  const reps = Number(Deno.env.get("BENCH_REPS") ?? 3);
  const wrk = await which("wrk");
  const pinned = navigator.hardwareConcurrency >= 2 && (await which("taskset")) !== null;
  const pin = (cmd: string, args: string[]): [string, string[]] =>
    pinned ? ["taskset", ["-c", "1", cmd, ...args]] : [cmd, args];
  const origin = await startOrigin(dir);
  // the origin on core 0 with wrk, away from the proxies on core 1 (every thread of every process
  // listening on its port)
  await sh(
    `for p in $(ss -ltnpH 'sport = :${origin.port}' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do taskset -a -p -c 0 $p; done >/dev/null 2>&1 || true`,
  );
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const originHost = `${HOST}:${origin.port}`;
  const w = WORKLOADS[0];
  const targets: Target[] = [{
    name: "direct",
    port: origin.port,
    target: w.path,
    host: originHost,
    proc: null,
  }];
  const add = async (name: string, port: number, cmd: string, args: string[], fwd = false) => {
    const proc = spawn(name, ...pin(cmd, args), root);
    await waitForPort(port, proc);
    const [target, host] = fwd ? [`http://${originHost}${w.path}`, originHost] : [
      w.path,
      `${HOST}:${port}`,
    ];
    targets.push({ name, port, target, host, proc });
  };
  const sluice = (port: number, extra: string[]) => [
    ...SERVE_FLAGS,
    ...["main.ts", "--listen", `${HOST}:${port}`, "--log-level", "warning", "--cache-size", "0"],
    ...extra,
  ];
  let port = freePort();
  await add("sluice reverse", port, Deno.execPath(), [
    ...sluice(port, ["--upstream", `http://${originHost}`, "--no-forward"]),
  ]);
  const nginx = Deno.env.get("BENCH_NO_NGINX") ? null : await which("nginx", ["/usr/sbin/nginx"]);
  if (nginx) {
    port = freePort();
    const d = `${dir}/nginx-reverse`;
    await Deno.mkdir(d, { recursive: true });
    await writeNginxConfig(
      d,
      `  keepalive_requests 1000000;
  upstream origin { server ${originHost}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen ${HOST}:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
`,
    );
    await add("nginx reverse", port, nginx, [
      "-p",
      d,
      "-e",
      `${d}/error.log`,
      "-c",
      `${d}/nginx.conf`,
    ]);
  } else console.log("note: nginx not found: no nginx column");
  const haproxy = await which("haproxy", ["/usr/sbin/haproxy"]);
  if (haproxy) {
    port = freePort();
    await Deno.writeTextFile(
      `${dir}/haproxy.cfg`,
      `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind ${HOST}:${port}
  default_backend origin
backend origin
  http-reuse always
  server o1 ${originHost}
`,
    );
    await add("haproxy reverse", port, haproxy, ["-db", "-f", `${dir}/haproxy.cfg`]);
  } else console.log("note: haproxy not found: no haproxy column");
  port = freePort();
  await add("sluice forward", port, Deno.execPath(), sluice(port, []), true);

  // a wrong route would answer 404s fast: check each origin-form column answers the file
  for (const t of targets.filter((t) => !t.target.startsWith("http:"))) {
    const res = await fetch(`http://${HOST}:${t.port}${w.path}`);
    const body = await res.bytes();
    if (res.status !== 200 || body.length !== 1024) {
      throw new Error(`${t.name}: GET ${w.path} answered ${res.status}, ${body.length} bytes`);
    }
  }
  const load = (t: Target, s = seconds): Promise<RunResult> => {
    const spec = { port: t.port, target: t.target, host: t.host, w, seconds: s };
    return wrk ? runWrk(wrk, dir, { ...spec, cpu: pinned ? "0" : undefined }) : builtinLoad(spec);
  };
  console.log(
    `reverse bench: ${w.name}, ${seconds} s x ${reps} reps, interleaved; origin ${origin.kind}` +
      (pinned ? "; proxies on core 1, wrk on core 0" : "; nothing pinned"),
  );
  for (const t of targets) await load(t, 2); // warm-up, unrecorded
  const runs = new Map(targets.map((t) => [t.name, [] as (RunResult & { us: number })[]]));
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length];
      const pid = t.proc?.child.pid;
      const c0 = pid ? await cpuSeconds(pid) : NaN;
      const res = await load(t);
      const us = pid ? (1e6 * (await cpuSeconds(pid) - c0)) / (res.rps * seconds) : NaN;
      runs.get(t.name)!.push({ ...res, us });
      console.log(
        `rep ${r + 1}: ${t.name} ${f(res.rps)} req/s, p99 ${f(res.p99, 2)} ms, ` +
          `${f(us, 1)} us CPU/req, ${res.errors} errors`,
      );
      if (t.proc?.exited) throw new Error(`${t.name} exited:\n${t.proc.tail()}`);
    }
  }
  const med = (name: string, pick: (x: RunResult & { us: number }) => number) =>
    median(runs.get(name)!.map(pick));
  const direct = med("direct", (x) => x.rps);
  const rows = [
    ["target", "req/s", "p50/p99 ms", "ratio", "CPU us/req", "errors", "reps req/s"],
  ];
  for (const t of targets) {
    const all = runs.get(t.name)!;
    rows.push([
      t.name,
      f(med(t.name, (x) => x.rps)),
      `${f(med(t.name, (x) => x.p50), 2)}/${f(med(t.name, (x) => x.p99), 2)}`,
      f(med(t.name, (x) => x.rps) / direct, 2),
      f(med(t.name, (x) => x.us), 1),
      String(all.reduce((a, x) => a + x.errors, 0)),
      all.map((x) => f(x.rps)).join(", "),
    ]);
  }
  console.log(`\n${table(rows)}`);
  const rev = med("sluice reverse", (x) => x.rps) / direct;
  const fwd = med("sluice forward", (x) => x.rps) / direct;
  console.log(
    `\nverdict reverse: ${rev >= fwd ? "PASS" : "FAIL"}: sluice reverse ratio ${f(rev, 3)} ` +
      `${rev >= fwd ? ">=" : "<"} forward ratio ${f(fwd, 3)} (issue 14: reverse >= forward)`,
  );
}
