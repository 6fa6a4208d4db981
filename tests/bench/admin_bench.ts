/**
 * `deno task bench --admin`: what the admin listener costs. Two sluice
 * processes with the serve task's flags and `--cache-size 0` (every request
 * forwarded), one with `--admin-listen` whose `/metrics` and `/status.json`
 * are fetched once a second during its runs; 1 KiB keep-alive (50
 * connections) through each, interleaved, `BENCH_REPS` times (default 5), each sluice on core 1 and wrk on core 0,
 * `BENCH_DURATION` seconds each (default 10). Prints both medians, the ratio,
 * and a verdict against issue 13's target (within 3%).
 *
 * @module
 */

import { SERVE_FLAGS } from "../serve_flags.ts";
import { startOrigin } from "./bench.ts";
import { builtinLoad, runWrk, table, WORKLOADS } from "./load.ts";
import { freePort, HOST, spawn, waitForPort, which } from "./procs.ts";
import { fileURLToPath } from "node:url";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the comparison in `dir` (the caller bounds it in time and stops what it started). */
export async function benchAdmin(dir: string): Promise<void> {
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 10);
  const reps = Number(Deno.env.get("BENCH_REPS") ?? 5);
  const wrk = await which("wrk");
  const pinned = navigator.hardwareConcurrency >= 2 && (await which("taskset")) !== null;
  const origin = await startOrigin(dir);
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const host = `${HOST}:${origin.port}`;
  const adminPort = freePort();
  const ports = { plain: freePort(), admin: freePort() };
  const start = (port: number, extra: string[]) =>
    // pinned to core 1, wrk to core 0 (as the peers bench does), when there are two cores
    spawn(`sluice-${port}`, pinned ? "taskset" : Deno.execPath(), [
      ...(pinned ? ["-c", "1", Deno.execPath()] : []),
      ...SERVE_FLAGS,
      ...["main.ts", "--listen", `${HOST}:${port}`, "--log-level", "warning", "--cache-size", "0"],
      ...extra,
    ], root);
  const plain = start(ports.plain, []);
  const admin = start(ports.admin, ["--admin-listen", `${HOST}:${adminPort}`]);
  await waitForPort(ports.plain, plain);
  await waitForPort(ports.admin, admin);
  await waitForPort(adminPort, admin);
  const w = WORKLOADS[0];
  const load = (port: number) => {
    const spec = {
      port,
      target: `http://${host}${w.path}`,
      host,
      w,
      seconds,
      cpu: pinned ? "0" : undefined,
    };
    return wrk ? runWrk(wrk, dir, spec) : builtinLoad(spec);
  };
  console.log(
    `admin bench: ${w.name}, ${seconds} s x ${reps} reps, interleaved; origin ${origin.kind}`,
  );
  await load(ports.plain);
  await load(ports.admin); // warm both
  const rps = { plain: [] as number[], admin: [] as number[] };
  let scrapes = 0;
  for (let r = 0; r < reps; r++) {
    rps.plain.push((await load(ports.plain)).rps);
    // scraped once a second while loaded
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        for (const path of ["/metrics", "/status.json"]) {
          const res = await fetch(`http://${HOST}:${adminPort}${path}`);
          await res.text();
          scrapes++;
        }
        await new Promise((ok) => setTimeout(ok, 1000));
      }
    })();
    rps.admin.push((await load(ports.admin)).rps);
    scraping = false;
    await scraper;
    console.log(
      `rep ${r + 1}: plain ${Math.round(rps.plain[r])} req/s, admin+scrape ${
        Math.round(rps.admin[r])
      } req/s`,
    );
  }
  const [p, a] = [median(rps.plain), median(rps.admin)];
  console.log(`\n${
    table([
      ["sluice", "median req/s", "reps"],
      ["--cache-size 0", `${Math.round(p)}`, rps.plain.map(Math.round).join(", ")],
      ["+ --admin-listen, scraped 1/s", `${Math.round(a)}`, rps.admin.map(Math.round).join(", ")],
    ])
  }`);
  const ratio = a / p;
  console.log(
    `\nverdict admin: ${ratio >= 0.97 ? "PASS" : "FAIL"}: ${
      (ratio * 100).toFixed(1)
    }% of the figure without it ` +
      `(target >= 97%); ${scrapes} scrapes`,
  );
}
