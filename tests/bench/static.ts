/**
 * The static-file half of `deno task bench`: the same folder (1k.bin, 10m.bin)
 * served side by side by sluice (`--root --no-forward`), nginx, Caddy
 * (`caddy file-server`) and a plain `Deno.serve` + `Deno.open` handler
 * (deno_file_baseline.ts), each pinned to core 1 with wrk on core 0, through
 * the bench's three workloads. Repetitions are interleaved (every server runs
 * a workload before any runs it again, in a rotating order) and the tables
 * show medians. A server whose binary is missing is left out with a note.
 *
 * Run only this part with `deno task bench --static`. Environment, besides the
 * bench's own: `BENCH_REPS` (repetitions, default 1), `BENCH_STATIC_SERVERS`
 * (comma-separated subset of sluice,nginx,caddy,deno), `BENCH_SLUICE_OTHERS`
 * (`LABEL=DIR,...`: other checkouts of sluice to run beside this one, as
 * "sluice-LABEL", for before/after comparisons).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { SERVE_FLAGS } from "../serve_flags.ts";
import {
  builtinLoad,
  MiB,
  type RunResult,
  runWrk,
  table,
  type Workload,
  WORKLOADS,
} from "./load.ts";
import {
  freePort,
  HOST,
  type Proc,
  procStatusKiB,
  sh,
  spawn,
  waitForPort,
  which,
  writeNginxConf,
} from "./procs.ts";

/** A file server under test. */
interface Server {
  name: string;
  port: number;
  proc: Proc;
  /** The process doing the work (nginx's worker, not its master). */
  pid: number;
  version: string;
}

/** What one server did in one run. */
interface Sample extends RunResult {
  /** Server CPU time over the run, in seconds. */
  cpu: number;
  seconds: number;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER_NAMES = ["sluice", "nginx", "caddy", "deno"];

/** CPU time (user + system, s) of `pid` and its threads, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await sh(`cat /proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in ticks (USER_HZ 100)
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.trim().split("\n")[0] ?? "";
  } catch {
    return "?";
  }
}

function pinned(pin: boolean, cmd: string, args: string[]): [string, string[]] {
  return pin ? ["taskset", ["-c", "1", cmd, ...args]] : [cmd, args];
}

async function startSluice(name: string, checkout: string, www: string, pin: boolean) {
  const port = freePort();
  const [run, ...rest] = SERVE_FLAGS; // "run", "-P", "--v8-flags=..."
  const args = [run, rest[0], `--allow-read=${www}`, ...rest.slice(1), "main.ts"];
  args.push("--root", www, "--no-forward", "--listen", `${HOST}:${port}`, "--log-level", "warning");
  const [cmd, argv] = pinned(pin, Deno.execPath(), args);
  const proc = spawn(name, cmd, argv, checkout);
  await waitForPort(port, proc);
  return { name, port, proc, pid: proc.child.pid, version: checkout };
}

async function startNginx(dir: string, www: string, pin: boolean, nginx: string) {
  const port = freePort();
  const d = `${dir}/nginx-static`;
  await Deno.mkdir(d, { recursive: true });
  const conf = await writeNginxConf(d, port, www);
  const [cmd, argv] = pinned(pin, nginx, ["-p", d, "-e", `${d}/error.log`, "-c", conf]);
  const proc = spawn("nginx", cmd, argv);
  await waitForPort(port, proc);
  const worker = Number((await sh(`cat /proc/${proc.child.pid}/task/*/children`)).trim());
  const version = await firstLine(nginx, ["-v"]);
  return { name: "nginx", port, proc, pid: worker || proc.child.pid, version };
}

async function startCaddy(dir: string, www: string, pin: boolean, caddy: string) {
  const port = freePort();
  const home = `${dir}/caddy-home`;
  await Deno.mkdir(home, { recursive: true });
  // `caddy file-server` turns its admin endpoint off; HOME/XDG keep its storage in the temp dir
  const env = `HOME=${home} XDG_DATA_HOME=${home} XDG_CONFIG_HOME=${home}`;
  const args = ["file-server", "--root", www, "--listen", `${HOST}:${port}`];
  const [cmd, argv] = pinned(pin, caddy, args);
  const proc = spawn("caddy", "env", [...env.split(" "), cmd, ...argv]);
  await waitForPort(port, proc);
  const version = await firstLine(caddy, ["version"]);
  return { name: "caddy", port, proc, pid: proc.child.pid, version };
}

async function startDeno(www: string, pin: boolean) {
  const port = freePort();
  const script = fileURLToPath(new URL("./deno_file_baseline.ts", import.meta.url));
  const args = ["run", `--allow-net=${HOST}`, `--allow-read=${www}`, script, www, String(port)];
  const [cmd, argv] = pinned(pin, Deno.execPath(), args);
  const proc = spawn("deno", cmd, argv);
  await waitForPort(port, proc);
  return { name: "deno", port, proc, pid: proc.child.pid, version: `Deno ${Deno.version.deno}` };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
    ? s[s.length >> 1]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (n: number, d = 0) => Number.isFinite(n) ? n.toFixed(d) : "n/a";

/** Starts the servers (missing ones noted), runs the workloads, prints the tables. */
export async function benchStatic(dir: string): Promise<void> {
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 5);
  const reps = Number(Deno.env.get("BENCH_REPS") ?? 1);
  if (!(seconds > 0) || !(reps >= 1)) throw new Error("bad BENCH_DURATION or BENCH_REPS");
  const wanted = (Deno.env.get("BENCH_STATIC_SERVERS") ?? SERVER_NAMES.join(",")).split(",");
  const wrk = Deno.env.get("BENCH_NO_WRK") ? null : await which("wrk");
  const pin = navigator.hardwareConcurrency >= 2 && (await which("taskset")) !== null;
  const notes: string[] = [];
  if (!wrk) notes.push("wrk not found: the built-in Deno load generator drives the load, unpinned");
  if (!pin) notes.push("fewer than 2 cores or no taskset: nothing is pinned");

  const www = `${dir}/static-www`;
  await Deno.mkdir(www, { recursive: true });
  await Deno.writeFile(`${www}/1k.bin`, new Uint8Array(1024).fill(0x61));
  await Deno.writeFile(`${www}/10m.bin`, new Uint8Array(10 * MiB).fill(0x62));
  await Deno.chmod(dir, 0o755); // nginx's worker may run as nobody
  await Deno.chmod(www, 0o755);

  const servers: Server[] = [];
  if (wanted.includes("sluice")) servers.push(await startSluice("sluice", ROOT, www, pin));
  for (const other of (Deno.env.get("BENCH_SLUICE_OTHERS") ?? "").split(",").filter(Boolean)) {
    const [label, checkout] = other.split("=");
    servers.push(await startSluice(`sluice-${label}`, checkout, www, pin));
  }
  const nginx = wanted.includes("nginx") ? await which("nginx", ["/usr/sbin/nginx"]) : "";
  if (nginx) servers.push(await startNginx(dir, www, pin, nginx));
  else if (nginx === null) notes.push("nginx not found: its column is left out");
  const caddy = wanted.includes("caddy") ? await which("caddy") : "";
  if (caddy) servers.push(await startCaddy(dir, www, pin, caddy));
  else if (caddy === null) notes.push("caddy not found: its column is left out");
  if (wanted.includes("deno")) servers.push(await startDeno(www, pin));

  console.log(`\nStatic files: ${servers.map((s) => `${s.name} (${s.version})`).join(", ")}`);
  console.log(
    `load: ${wrk ?? "built-in"}${pin ? ", servers on core 1, wrk on core 0" : ""}; ` +
      `${reps} x ${seconds} s per workload and server`,
  );
  for (const n of notes) console.log(`note: ${n}`);

  const load = (s: Server, w: Workload, secs: number) => {
    const spec = { port: s.port, target: w.path, host: `${HOST}:${s.port}`, w, seconds: secs };
    return wrk ? runWrk(wrk, dir, pin ? { ...spec, cpu: "0" } : spec) : builtinLoad(spec);
  };
  for (const s of servers) for (const w of [WORKLOADS[0], WORKLOADS[2]]) await load(s, w, 1);

  const samples = new Map<string, Sample[]>();
  const rss = new Map<string, number | null>();
  for (let rep = 0; rep < reps; rep++) {
    for (const w of WORKLOADS) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(i + rep) % servers.length];
        const c0 = await cpuSeconds(s.pid);
        const t0 = performance.now();
        const r = await load(s, w, seconds);
        const elapsed = (performance.now() - t0) / 1000;
        const sample = { ...r, cpu: (await cpuSeconds(s.pid)) - c0, seconds: elapsed };
        const key = `${w.name}|${s.name}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        rss.set(s.name, await procStatusKiB(s.pid, "VmHWM"));
        console.log(
          `raw: rep ${rep + 1} | ${w.name} | ${s.name} | ${f(r.rps)} req/s | ` +
            `${f(r.bytesPerSec / MiB, 1)} MiB/s | p50 ${f(r.p50, 2)} ms | p99 ${
              f(r.p99, 2)
            } ms | ` +
            `errors ${r.errors} | cpu ${f((100 * sample.cpu) / elapsed)}%`,
        );
        if (s.proc.exited) throw new Error(`${s.name} exited during the bench:\n${s.proc.tail()}`);
      }
    }
  }
  printTables(servers, samples, rss);
}

function printTables(
  servers: Server[],
  samples: Map<string, Sample[]>,
  rss: Map<string, number | null>,
): void {
  const med = (w: Workload, s: string, pick: (x: Sample) => number) =>
    median((samples.get(`${w.name}|${s}`) ?? []).map(pick));
  const rows = [
    ("workload|server|req/s|MiB/s|x nginx|min..max req/s|p50 ms|p99 ms|errors|CPU%|" +
      "CPU us/req").split("|"),
  ];
  for (const w of WORKLOADS) {
    const ref = med(w, "nginx", (x) => x.rps);
    for (const s of servers) {
      const all = samples.get(`${w.name}|${s.name}`) ?? [];
      const rps = med(w, s.name, (x) => x.rps);
      const cpu = med(w, s.name, (x) => x.cpu / x.seconds);
      const perReq = med(w, s.name, (x) => (1e6 * x.cpu) / (x.rps * x.seconds));
      rows.push([
        w.name,
        s.name,
        f(rps),
        f(med(w, s.name, (x) => x.bytesPerSec / MiB), 1),
        f(rps / ref, 2),
        `${f(Math.min(...all.map((x) => x.rps)))}..${f(Math.max(...all.map((x) => x.rps)))}`,
        f(med(w, s.name, (x) => x.p50), 2),
        f(med(w, s.name, (x) => x.p99), 2),
        String(all.reduce((a, x) => a + x.errors, 0)),
        f(100 * cpu),
        f(perReq, 1),
      ]);
    }
  }
  console.log(`\n${table(rows)}\n`);
  const sum = [
    "server|1k ka req/s|x nginx|1k close req/s|x nginx|10m MiB/s|x nginx|peak RSS MiB".split("|"),
  ];
  const [ka, close, big] = WORKLOADS;
  for (const s of servers) {
    const cell = (w: Workload, pick: (x: Sample) => number, d = 0) => {
      const v = med(w, s.name, pick);
      return [f(v, d), f(v / med(w, "nginx", pick), 2)];
    };
    const kib = rss.get(s.name);
    sum.push([
      s.name,
      ...cell(ka, (x) => x.rps),
      ...cell(close, (x) => x.rps),
      ...cell(big, (x) => x.bytesPerSec / MiB),
      kib == null ? "n/a" : f(kib / 1024, 1),
    ]);
  }
  console.log(table(sum));
}

/** Seconds the static part may take with the given settings (for the hard limit). */
export function staticLimit(seconds: number, reps: number): number {
  return reps * WORKLOADS.length * 5 * (seconds + 5) + 120;
}
