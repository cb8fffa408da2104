// The benchmark's view size and AdmissionReview payloads: realistic ~5 KB Pod reviews, most of
// them allowed, some denied, spread over the view's namespaces.
import { namespaceName, type LargeSetOptions } from './fixtures.js';

export const BENCH_SET: LargeSetOptions = { namespaces: 1000, policiesPerNamespace: 10, podsPerNamespace: 0 };

function podReview(i: number, labelled: boolean): string {
  // Namespace i of the view holds stage i % 5 of pipeline i / 5.
  const stage = `s${i % 5}`;
  const namespace = namespaceName(Math.floor(i / 5), i % 5);
  const labels: Record<string, string> = {
    app: `app${i % 10}`,
    'app.kubernetes.io/name': `worker-${i % 10}`,
    'app.kubernetes.io/version': '2.4.1',
    'pod-template-hash': '7c9f8d6b5f',
    // The validating webhook sees pods after the mutating one has set the pipeline label.
    'stagewall.dev/pipeline': `p${Math.floor(i / 5)}`,
    ...(labelled ? { 'stagewall.dev/stage': stage } : {}),
  };
  const container = (name: string) => ({
    name,
    image: `registry.example.com/pipelines/${name}:2.4.1`,
    args: ['--config=/etc/worker/config.yaml', '--log-format=json', '--metrics-addr=:9102'],
    env: Array.from({ length: 12 }, (_, e) => ({ name: `WORKER_SETTING_${e}`, value: `value-${e}-${'x'.repeat(24)}` })),
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9102, protocol: 'TCP' },
    ],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/worker' },
      { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `worker-${i % 10}-7c9f8d6b5f-`,
      namespace,
      labels,
      annotations: { 'kubectl.kubernetes.io/default-container': 'worker', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `worker-${i % 10}-7c9f8d6b5f`,
          uid: '5b1c2d3e-0000-4000-8000-00000000abcd',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [container('worker'), container('sidecar')],
      volumes: [{ name: 'config', configMap: { name: 'worker-config' } }],
      serviceAccountName: 'worker',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `0000${i}-0000-4000-8000-000000000000`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: 'a1b2c3d4',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
}

/** 50 distinct reviews: four in five allowed (labelled), one in five denied (no stage label). */
export function reviewPayloads(count = 50): string[] {
  return Array.from({ length: count }, (_, i) => podReview(i * 7, i % 5 !== 4));
}
