/**
 * The Kubernetes manifests (deploy/k8s) as Kustomize renders them, checked against the code
 * they run: probe paths and ports the services really serve, a grace period above the
 * worker's shutdown deadline, one image everywhere, resources and a non-root user on every
 * container, and the autoscalers aimed at the worker on BullMQ's queue-depth metric.
 * Needs `kubectl` (Debian's kubernetes-client): in CI its absence fails the test; locally it
 * skips with a message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '@mc/config';
import { QUEUE_NAMES, WEBHOOKS_QUEUE } from '@mc/contracts';

const ROOT = path.join(__dirname, '..', '..', 'deploy', 'k8s');
/** The source that serves a probe's path: a path no route declares would fail every probe. */
const served = (file: string, url: string) =>
  expect(readFileSync(path.join(__dirname, '..', '..', file), 'utf8')).toMatch(new RegExp(`['"]${url}['"]`));

/** KUBECTL names the binary to use; else /usr/bin/kubectl, else the PATH's. */
function findKubectl(): string | undefined {
  if (process.env.KUBECTL) return existsSync(process.env.KUBECTL) ? process.env.KUBECTL : undefined;
  if (existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const kubectl = findKubectl();

/**
 * Why the manifests cannot be rendered here, if they cannot: no kubectl, or one whose bundled
 * Kustomize predates components and `labels` (Debian bookworm's kubernetes-client is 1.20,
 * Kustomize v2.0.3; kubectl 1.22 or newer is needed).
 */
function renderingProblem(): string | undefined {
  if (!kubectl) return `kubectl not found${process.env.KUBECTL ? ` at ${process.env.KUBECTL}` : ''}`;
  try {
    execFileSync(kubectl, ['kustomize', path.join(ROOT, 'overlays', 'example')], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? error);
    if (!/unknown field/.test(stderr)) return undefined; // a real fault in the manifests: the tests below say which
    const version = execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).split('\n')[0];
    return `${kubectl} (${version}) bundles a Kustomize too old for components and labels (${stderr.trim()}); kubectl 1.22 or newer is needed`;
  }
}
const problem = renderingProblem();

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: Record<string, string> };

function render(dir: string): Manifest[] {
  const text = execFileSync(kubectl!, ['kustomize', path.join(ROOT, dir)], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw doc.errors[0];
    return doc.toJS() as Manifest;
  });
}
const find = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
};
const podSpecOf = (m: Manifest): any => m.spec.template.spec;
const containerPort = (container: any, port: number | string): number =>
  typeof port === 'number' ? port : container.ports.find((p: { name: string }) => p.name === port).containerPort;

test('a kubectl that renders the manifests is installed (CI installs one: .ci/run)', () => {
  if (!problem) return;
  if (process.env.CI === 'true') throw new Error(`${problem}: CI must render the Kubernetes manifests (.ci/run, or KUBECTL=…)`);
  console.warn(`${problem}: the Kubernetes manifest tests are skipped (KUBECTL=/path/to/kubectl to name one)`);
});

const withKubectl = problem ? describe.skip : describe;

withKubectl('deploy/k8s/overlays/example (KEDA)', () => {
  const manifests = problem ? [] : render('overlays/example');
  const configMap = () => find(manifests, 'ConfigMap', 'message-center').data!;
  // What the services read from the ConfigMap, plus the Secret's values (placeholders here).
  const config = () =>
    loadConfig({
      ...configMap(),
      DATABASE_URL: 'postgresql://mc@postgres:5432/mc',
      REDIS_URL: 'redis://redis:6379',
      MC_ADMIN_KEY: 'a'.repeat(32),
      SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
    });

  test('the ConfigMap is a valid configuration: listening on all addresses, the worker metrics port set', () => {
    expect(config().host).toBe('0.0.0.0');
    expect(config().worker.metricsPort).toBeGreaterThan(0);
  });

  test('every pod reads the ConfigMap and the Secret, and runs one image', () => {
    const workloads = manifests.filter((m) => ['Deployment', 'Job'].includes(m.kind));
    expect(workloads.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(['Deployment/mc-ingest', 'Deployment/mc-worker', 'Job/mc-migrate']);
    const images = new Set(workloads.flatMap((m) => podSpecOf(m).containers.map((c: { image: string }) => c.image)));
    expect([...images]).toEqual(['registry.example.org/message-center:0.1.0']);
    for (const workload of workloads) {
      for (const container of podSpecOf(workload).containers) {
        expect(container.envFrom).toEqual(
          expect.arrayContaining([{ configMapRef: { name: 'message-center' } }, { secretRef: { name: 'message-center' } }]),
        );
      }
    }
    expect(manifests.filter((m) => m.kind !== 'Namespace').every((m) => m.metadata.namespace === 'message-center')).toBe(true);
  });

  test('the ingest: liveness /healthz and readiness /readyz on PORT, a Service to it', () => {
    const ingest = find(manifests, 'Deployment', 'mc-ingest');
    const [container] = podSpecOf(ingest).containers;
    expect(container.command).toEqual(['node', 'services/ingest/dist/server.js']);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    for (const url of ['/healthz', '/readyz']) served('services/ingest/src/ops/ops.routes.ts', url);
    expect(containerPort(container, container.livenessProbe.httpGet.port)).toBe(config().port);
    expect(containerPort(container, container.readinessProbe.httpGet.port)).toBe(config().port);
    const service = find(manifests, 'Service', 'mc-ingest');
    expect(service.spec.selector).toEqual(ingest.spec.selector.matchLabels);
    expect(containerPort(container, service.spec.ports[0].targetPort)).toBe(config().port);
  });

  test('the worker: liveness /healthz on WORKER_METRICS_PORT, a grace period above SHUTDOWN_GRACE_MS', () => {
    const worker = find(manifests, 'Deployment', 'mc-worker');
    const [container] = podSpecOf(worker).containers;
    expect(container.command).toEqual(['node', 'services/worker/dist/main.js']);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(containerPort(container, container.livenessProbe.httpGet.port)).toBe(config().worker.metricsPort);
    served('services/worker/src/metrics-server.ts', '/healthz');
    // The kubelet's SIGKILL must come after the worker's own deadline, with room to close.
    expect(podSpecOf(worker).terminationGracePeriodSeconds).toBeGreaterThan(config().worker.shutdownGraceMs / 1000 + 5);
    // KEDA owns the count: none in the Deployment for `kubectl apply` to put back.
    expect(worker.spec.replicas).toBeUndefined();
  });

  test('the migration Job runs `npm run migrate` once, never restarted in place', () => {
    const job = find(manifests, 'Job', 'mc-migrate');
    expect(podSpecOf(job).containers[0].command).toEqual(['npm', 'run', 'migrate']);
    expect(podSpecOf(job).restartPolicy).toBe('Never');
  });

  test('every container has resource requests and a memory limit, runs as non-root on a read-only root', () => {
    for (const workload of manifests.filter((m) => ['Deployment', 'Job'].includes(m.kind))) {
      const pod = podSpecOf(workload);
      expect([workload.metadata.name, pod.securityContext.runAsNonRoot]).toEqual([workload.metadata.name, true]);
      // A numeric user, or the kubelet cannot verify runAsNonRoot for the image's `node` user.
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.resources.requests).toEqual({ cpu: expect.anything(), memory: expect.anything() });
        expect(container.resources.limits.memory).toBeDefined();
        expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      }
    }
  });

  test('a PodDisruptionBudget selects each Deployment', () => {
    for (const name of ['mc-ingest', 'mc-worker']) {
      const selector = find(manifests, 'Deployment', name).spec.selector;
      expect(find(manifests, 'PodDisruptionBudget', name).spec.selector).toEqual(selector);
    }
  });

  test('the ScaledObject scales the worker Deployment on bullmq_job_count of the queues it drains', () => {
    const scaled = find(manifests, 'ScaledObject', 'mc-worker');
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mc-worker' });
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('prometheus');
    // Each ingest replica reports the whole queue: one series per (queue, state) before the sum.
    expect(trigger.metadata.query).toMatch(/^sum\(max by \(queue, state\) \(bullmq_job_count\{/);
    expect(trigger.metadata.query).toContain('namespace="message-center"');
    for (const queue of [...Object.values(QUEUE_NAMES), WEBHOOKS_QUEUE]) expect(trigger.metadata.query).toContain(queue);
    expect(trigger.metadata.query).toContain('state=~"waiting|prioritized|active"');
    expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
    expect(manifests.some((m) => m.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });
});

withKubectl('deploy/k8s/components/prometheus-operator (in overlays/example)', () => {
  const manifests = problem ? [] : render('overlays/example');

  test("the ingest's /metrics is scraped through its Service with a key from a Secret, the workers' pods directly", () => {
    const service = find(manifests, 'Service', 'mc-ingest');
    const monitor = find(manifests, 'ServiceMonitor', 'mc-ingest');
    expect(service.metadata).toMatchObject({ labels: expect.objectContaining(monitor.spec.selector.matchLabels) });
    const [endpoint] = monitor.spec.endpoints;
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(endpoint.port);
    expect(endpoint.path).toBe('/metrics');
    served('services/ingest/src/ops/ops.routes.ts', '/metrics');
    expect(endpoint.authorization).toEqual({ type: 'Bearer', credentials: { name: 'message-center-metrics', key: 'token' } });

    const worker = find(manifests, 'Deployment', 'mc-worker');
    const podMonitor = find(manifests, 'PodMonitor', 'mc-worker');
    expect(worker.spec.template.metadata.labels).toMatchObject(podMonitor.spec.selector.matchLabels);
    const [podEndpoint] = podMonitor.spec.podMetricsEndpoints;
    expect(podSpecOf(worker).containers[0].ports.map((p: { name: string }) => p.name)).toContain(podEndpoint.port);
    expect(podEndpoint.path).toBe('/metrics');
    served('services/worker/src/metrics-server.ts', '/metrics');
  });
});

withKubectl('deploy/k8s/overlays/example-hpa (prometheus-adapter)', () => {
  const manifests = problem ? [] : render('overlays/example-hpa');

  test('an autoscaling/v2 HPA scales the worker Deployment on the external metric bullmq_job_count', () => {
    const hpa = find(manifests, 'HorizontalPodAutoscaler', 'mc-worker');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mc-worker' });
    const [metric] = hpa.spec.metrics;
    expect(metric.type).toBe('External');
    expect(metric.external.metric.name).toBe('bullmq_job_count');
    expect(metric.external.metric.selector.matchExpressions).toEqual(
      expect.arrayContaining([{ key: 'queue', operator: 'In', values: [...Object.values(QUEUE_NAMES), WEBHOOKS_QUEUE] }]),
    );
    expect(find(manifests, 'Deployment', 'mc-worker').spec.replicas).toBeUndefined();
    expect(manifests.some((m) => m.kind === 'ScaledObject')).toBe(false);
  });

  test('the base is the same: the Job still uses the Deployments\' image', () => {
    const images = manifests
      .filter((m) => ['Deployment', 'Job'].includes(m.kind))
      .map((m) => podSpecOf(m).containers[0].image);
    expect(new Set(images).size).toBe(1);
  });
});
