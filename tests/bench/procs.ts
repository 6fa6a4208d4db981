/**
 * Child processes and /proc readings for the bench scripts (bench, scale,
 * soak): spawn with a bounded output tail, wait for a port, stop everything
 * that was started, read a process's RSS and open fds, and run a script body
 * under a hard time limit.
 *
 * @module
 */

/** The loopback address everything listens on. */
export const HOST = "127.0.0.1";

/** The script's arguments without the `--` that `deno task NAME -- ARGS` passes on. */
export function scriptArgs(): string[] {
  return Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process whose output is drained into a bounded tail. */
export interface Proc {
  /** Label for messages. */
  name: string;
  /** The child. */
  child: Deno.ChildProcess;
  /** The last 64 KiB of its stdout and stderr. */
  tail: () => string;
  /** Resolves once both outputs are read to the end. */
  drained: Promise<unknown>;
  /** Set once it has exited. */
  exited: boolean;
}

const procs = new Set<Proc>();

/**
 * Starts `cmd args` in `cwd`; its stdout and stderr go to a 64 KiB tail (and,
 * with `echo`, to this process's stderr too). {@linkcode stop} stops it, and
 * {@linkcode runBounded} stops whatever is still running at its end.
 */
export function spawn(name: string, cmd: string, args: string[], cwd?: string, echo = false): Proc {
  const opts = { args, cwd, stdin: "null", stdout: "piped", stderr: "piped" } as const;
  const child = new Deno.Command(cmd, opts).spawn();
  let out = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      out = (out + chunk).slice(-64 * 1024);
      if (echo) await Deno.stderr.write(enc.encode(chunk));
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const proc: Proc = { name, child, tail: () => out, drained, exited: false };
  child.status.then(() => proc.exited = true);
  procs.add(proc);
  return proc;
}

function kill(p: Proc, sig: Deno.Signal): void {
  try {
    if (!p.exited) p.child.kill(sig);
  } catch { /* already exited */ }
}

/** SIGTERM, then SIGKILL after 3 s; resolves once `p` has exited. */
export async function stop(p: Proc): Promise<void> {
  if (!procs.delete(p)) return;
  kill(p, "SIGTERM");
  const timer = setTimeout(() => kill(p, "SIGKILL"), 3000);
  await p.child.status;
  clearTimeout(timer);
}

/** Stops every process {@linkcode spawn} started that is still running. */
export const stopAll = (): Promise<void[]> => Promise.all([...procs].map(stop));

/** Finds an executable on PATH, then in `extra`. */
export async function which(name: string, extra: string[] = []): Promise<string | null> {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  for (const p of [...dirs.map((d) => `${d}/${name}`), ...extra]) {
    try {
      const st = await Deno.stat(p);
      if (st.isFile && (st.mode ?? 0o111) & 0o111) return p;
    } catch { /* not there */ }
  }
  return null;
}

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Resolves once `port` accepts; throws if `p` exits or `ms` pass first. */
export async function waitForPort(port: number, p: Proc, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !p.exited) {
    try {
      (await Deno.connect({ hostname: HOST, port })).close();
      return;
    } catch {
      await delay(50);
    }
  }
  throw new Error(`${p.name} did not accept on ${HOST}:${port}:\n${p.tail()}`);
}

/** Output of a bash one-liner (bash and cat: Deno wants --allow-all for /proc/<pid>). */
export async function sh(script: string): Promise<string> {
  try {
    const cmd = new Deno.Command("bash", { args: ["-c", script], stderr: "null" });
    return dec.decode((await cmd.output()).stdout);
  } catch {
    return "";
  }
}

/** A `kB` field of /proc/`pid`/status (VmRSS, VmHWM, ...), or `null` if unreadable. */
export async function procStatusKiB(pid: number, field: string): Promise<number | null> {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(await sh(`cat /proc/${pid}/status`));
  return m ? Number(m[1]) : null;
}

/** How many file descriptors `pid` has open (/proc/PID/fd), or `null` if unreadable. */
export async function openFds(pid: number): Promise<number | null> {
  const out = (await sh(`[ -d /proc/${pid}/fd ] && ls /proc/${pid}/fd | wc -l`)).trim();
  return out === "" ? null : Number(out);
}

/**
 * Runs `body` with a fresh temporary directory under a hard limit of `limit`
 * seconds, then stops every process {@linkcode spawn} started, removes the
 * directory and exits: 0 when `body` resolved, 1 when it threw, 124 on the
 * time limit, 130 on SIGINT.
 */
export async function runBounded(
  name: string,
  limit: number,
  body: (dir: string) => Promise<void>,
): Promise<never> {
  const dir = await Deno.makeTempDir({ prefix: `sluice-${name}-` });
  const cleanup = async () => {
    await stopAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  let abortCode: number | null = null;
  const abort = (why: string, code: number) => async () => {
    if (abortCode !== null) return;
    abortCode = code;
    console.error(`${name}: ${why}; stopping everything`);
    await cleanup();
    Deno.exit(code);
  };
  const hard = setTimeout(abort(`hard timeout after ${limit} s`, 124), limit * 1000);
  const onInt = abort("interrupted", 130);
  Deno.addSignalListener("SIGINT", onInt);
  let code = 0;
  try {
    await body(dir);
  } catch (err) {
    if (abortCode === null) {
      console.error(`${name} failed: ${err instanceof Error ? err.message : err}`);
    }
    code = 1;
  } finally {
    clearTimeout(hard);
    Deno.removeSignalListener("SIGINT", onInt);
    await cleanup();
  }
  Deno.exit(abortCode ?? code);
}

/**
 * Writes a one-worker nginx configuration serving `www` on `HOST:port` into
 * `dir` (with its pid, error log and temp paths there, so it runs unprivileged
 * beside others), as the bench's origin and its static-file peer both use;
 * returns the config file's path.
 */
export async function writeNginxConf(dir: string, port: number, www: string): Promise<string> {
  return await writeNginxConfig(
    dir,
    `  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server { listen ${HOST}:${port}; root ${www}; }
`,
  );
}

/**
 * Writes `dir/nginx.conf` for a bench nginx: one worker in the foreground,
 * pid, error log and temp paths under `dir`, no access log, and the `http`
 * directives given (indented lines); returns the file's path.
 */
export async function writeNginxConfig(
  dir: string,
  http: string,
  workerConnections = 4096,
): Promise<string> {
  const temps = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${dir}/${t};\n`).join("");
  const path = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    path,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
${temps}${http}}
`,
  );
  return path;
}
