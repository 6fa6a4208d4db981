/**
 * deploy/kubernetes.yaml cannot run here, so it is checked offline: each
 * document against the Kubernetes API's own JSON schemas (the validators that
 * `kubernetes-models` generates from the OpenAPI spec), then the invariants
 * that make a drain lossless and keep the container least-privilege: probe
 * paths and ports match the arguments, the termination grace outlasts the
 * drain, the Deno command line is exactly the serve task's, the selectors
 * match the pod labels, and sluice itself accepts the arguments (`--check`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseAllDocuments } from "npm:yaml@^2.9.1";
import { Deployment } from "npm:kubernetes-models@^5.1.0/apps/v1/Deployment";
import { Service } from "npm:kubernetes-models@^5.1.0/v1/Service";
import { PodDisruptionBudget } from "npm:kubernetes-models@^5.1.0/policy/v1/PodDisruptionBudget";
import { SERVE_FLAGS } from "../serve_flags.ts";
import { ROOT } from "../e2e/harness.ts";

// deno-lint-ignore no-explicit-any
type Obj = any;

const docs: Obj[] = parseAllDocuments(
  Deno.readTextFileSync(`${ROOT}deploy/kubernetes.yaml`),
).map((d) => {
  assert.deepEqual(d.errors, [], "YAML syntax");
  return d.toJS();
});
const byKind = (kind: string): Obj => {
  const found = docs.filter((d) => d?.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0];
};
const deployment = byKind("Deployment");
const service = byKind("Service");
const pdb = byKind("PodDisruptionBudget");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const args: string[] = container.args;

/** The values given to `--name` in the container's args. */
function flag(name: string): string[] {
  return args.flatMap((a, i) => a === `--${name}` ? [args[i + 1]] : []);
}
/** The one value of `--name`, as seconds. */
function seconds(name: string): number {
  const v = flag(name);
  assert.equal(v.length, 1, `--${name} given once`);
  return Number(v[0]);
}
/** The port of a HOST:PORT argument. */
const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
/** A container port by name (or number). */
function containerPort(ref: string | number): number {
  if (typeof ref === "number") return ref;
  const p = container.ports.find((p: Obj) => p.name === ref);
  assert.ok(p, `container port named ${ref}`);
  return p.containerPort;
}

Deno.test("kubernetes.yaml: three documents, each valid against the Kubernetes API schema", () => {
  assert.deepEqual(docs.map((d) => `${d.apiVersion} ${d.kind}`), [
    "apps/v1 Deployment",
    "v1 Service",
    "policy/v1 PodDisruptionBudget",
  ]);
  new Deployment(deployment).validate();
  new Service(service).validate();
  new PodDisruptionBudget(pdb).validate();
});

Deno.test("kubernetes.yaml: the schema validator is live (it rejects broken copies)", () => {
  const broken = [
    () => new Deployment({ ...deployment, spec: { ...deployment.spec, replicas: "two" } }),
    () => new Deployment({ ...deployment, spec: { ...deployment.spec, selector: undefined } }),
    () => {
      const d = structuredClone(deployment);
      delete d.spec.template.spec.containers[0].name;
      return new Deployment(d);
    },
    () => {
      const d = structuredClone(deployment);
      d.spec.template.spec.containers[0].readinessProbe.periodSeconds = "2s";
      return new Deployment(d);
    },
    () => new Service({ ...service, spec: { ...service.spec, ports: [{ name: "proxy" }] } }),
  ];
  for (const make of broken) assert.throws(() => make().validate(), /must|required|type/);
});

Deno.test("kubernetes.yaml: the selectors match the pod labels", () => {
  const labels = deployment.spec.template.metadata.labels;
  const matches = (sel: Record<string, string>) =>
    Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
  assert.ok(matches(deployment.spec.selector.matchLabels), "Deployment selector");
  assert.ok(matches(service.spec.selector), "Service selector");
  assert.ok(matches(pdb.spec.selector.matchLabels), "PodDisruptionBudget selector");
  const spread = pod.topologySpreadConstraints[0].labelSelector.matchLabels;
  assert.ok(matches(spread), "topology spread selector");
  assert.equal(deployment.spec.replicas, 2);
  assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas);
});

Deno.test("kubernetes.yaml: the container runs deno with exactly the serve task's flags", () => {
  assert.deepEqual(container.command, ["deno", ...SERVE_FLAGS, "main.ts"]);
  assert.equal(container.workingDir, "/app", "where deno.json (and -P's permission set) is");
});

Deno.test("kubernetes.yaml: probes, Service ports and scrape annotations match the args", () => {
  const proxyPort = portOf(flag("listen")[0]);
  const adminPort = portOf(flag("admin-listen")[0]);
  assert.deepEqual([proxyPort, adminPort], [3128, 9090]);
  assert.equal(containerPort("proxy"), proxyPort);
  assert.equal(containerPort("admin"), adminPort);
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    assert.equal(probe.httpGet.path, "/healthz");
    assert.equal(containerPort(probe.httpGet.port), adminPort);
  }
  const svcPort = (name: string) => service.spec.ports.find((p: Obj) => p.name === name);
  assert.equal(service.spec.type, "ClusterIP");
  assert.equal(svcPort("proxy").port, 3128);
  assert.equal(containerPort(svcPort("proxy").targetPort), proxyPort);
  assert.equal(containerPort(svcPort("metrics").targetPort), adminPort);
  const ann = service.metadata.annotations;
  assert.equal(ann["prometheus.io/scrape"], "true");
  assert.equal(ann["prometheus.io/path"], "/metrics");
  assert.equal(Number(ann["prometheus.io/port"]), svcPort("metrics").port);
  // the kubelet's probes and Prometheus must be allowed on the admin listener
  assert.ok(flag("admin-allow").length >= 1, "--admin-allow for the probes and the scraper");
});

Deno.test("kubernetes.yaml: the drain fits in the grace period and outlasts endpoint removal", () => {
  const delay = seconds("drain-delay");
  const timeout = seconds("drain-timeout");
  assert.equal(timeout, 20);
  assert.ok(
    pod.terminationGracePeriodSeconds > delay + timeout,
    `grace ${pod.terminationGracePeriodSeconds} s <= drain ${delay} + ${timeout} s`,
  );
  // readiness fails (503) before the listener closes
  const ready = container.readinessProbe;
  assert.ok(ready.periodSeconds * ready.failureThreshold <= delay, "readiness flips within delay");
  // a draining pod is never restarted by its liveness probe (503 while draining)
  const live = container.livenessProbe;
  assert.ok(
    live.periodSeconds * live.failureThreshold >= delay + timeout,
    "liveness outlasts drain",
  );
  // no preStop hook: --drain-delay keeps accepting while endpoints update
  assert.equal(container.lifecycle?.preStop, undefined);
});

Deno.test("kubernetes.yaml: non-root, read-only root file system, no capabilities", () => {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(pod.securityContext.runAsUser > 0);
  const sc = container.securityContext;
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.deepEqual(sc.capabilities.drop, ["ALL"]);
  assert.equal(sc.capabilities.add, undefined);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
  assert.ok(container.resources.limits.memory);
  assert.ok(containerPort("proxy") > 1024 && containerPort("admin") > 1024, "no low ports");
});

Deno.test("kubernetes.yaml: sluice accepts the container's arguments (--check)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...SERVE_FLAGS, "main.ts", "--check", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  const config = new TextDecoder().decode(out.stdout);
  assert.match(config, /"admin-listen": "0\.0\.0\.0:9090"/);
  assert.match(config, /"drain-timeout": 20\b/);
});
