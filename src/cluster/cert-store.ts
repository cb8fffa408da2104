// `serve --manage-certs` against the API server: the certificate Secret (create, or update at the
// read resourceVersion, so concurrent replicas never overwrite each other) and the caBundle of
// every webhook of the two webhook configurations (a JSON Patch per configuration).
import type { KubeConfig } from '@kubernetes/client-node';
import { SERVED_SINCE, WriteConflict, dataFromState, stateFromData, type CertificateState, type CertificateStore, type StoredState } from '../certs/managed.js';
import { isRecord } from '../engine/index.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../shared/names.js';
import { ApiStatusError, getJson, sendJson } from './api.js';

export interface KubeCertificateStoreOptions {
  readonly namespace: string;
  readonly secret: string;
  /** The name of the ValidatingWebhookConfiguration and of the MutatingWebhookConfiguration. */
  readonly webhookConfig: string;
}

const CONFIG_KINDS = [
  { kind: 'ValidatingWebhookConfiguration', path: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations' },
  { kind: 'MutatingWebhookConfiguration', path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations' },
] as const;

function decode(value: unknown): string {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

async function getOrUndefined(kc: KubeConfig, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const body = await getJson(kc, path);
    return isRecord(body) ? body : undefined;
  } catch (err) {
    if (err instanceof ApiStatusError && err.statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * The matchCondition the manifests ship in every webhook: its expression fails at run time, so
 * with failurePolicy Fail the API server refuses what the webhook would judge, with a message that
 * says stagewall is starting, instead of calling a webhook whose caBundle is not written yet (an
 * x509 error) or skipping it (an unprotected window). stagewall removes it in the same patch that
 * writes the bundle. See docs/install.md.
 */
export const STARTING_GUARD = 'stagewall-starting';

interface Webhook {
  readonly name: string;
  readonly caBundle: string;
  /** The index of the starting guard among its matchConditions, or -1. */
  readonly guard: number;
}

function webhooksOf(config: Record<string, unknown>): Webhook[] {
  const hooks = Array.isArray(config['webhooks']) ? (config['webhooks'] as unknown[]) : [];
  return hooks.filter(isRecord).map((h) => {
    const conditions = Array.isArray(h['matchConditions']) ? (h['matchConditions'] as unknown[]) : [];
    return {
      name: String(h['name'] ?? ''),
      caBundle: decode(isRecord(h['clientConfig']) ? h['clientConfig']['caBundle'] : undefined),
      guard: conditions.findIndex((c) => isRecord(c) && c['name'] === STARTING_GUARD),
    };
  });
}

export class KubeCertificateStore implements CertificateStore {
  private secretType = 'kubernetes.io/tls';

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: KubeCertificateStoreOptions,
  ) {}

  private get secretsPath(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/secrets`;
  }

  async read(): Promise<StoredState> {
    const secret = await getOrUndefined(this.kc, `${this.secretsPath}/${encodeURIComponent(this.options.secret)}`);
    if (!secret) return { state: undefined, resourceVersion: undefined };
    const metadata = isRecord(secret['metadata']) ? secret['metadata'] : {};
    const annotations = isRecord(metadata['annotations']) ? metadata['annotations'] : {};
    if (typeof secret['type'] === 'string') this.secretType = secret['type'];
    const raw = isRecord(secret['data']) ? secret['data'] : {};
    const data = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, decode(v)]));
    const parsed = stateFromData(data, typeof annotations[SERVED_SINCE] === 'string' ? annotations[SERVED_SINCE] : undefined);
    return { state: parsed.state, invalid: parsed.invalid, resourceVersion: String(metadata['resourceVersion'] ?? '') };
  }

  async write(state: CertificateState, resourceVersion: string | undefined): Promise<void> {
    const data = Object.fromEntries(Object.entries(dataFromState(state)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: resourceVersion === undefined ? 'kubernetes.io/tls' : this.secretType,
      metadata: {
        name: this.options.secret,
        namespace: this.options.namespace,
        labels: { 'app.kubernetes.io/name': 'stagewall', [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
        annotations: { [SERVED_SINCE]: state.servedSince.toISOString() },
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
      data,
    };
    try {
      if (resourceVersion === undefined) await sendJson(this.kc, 'POST', this.secretsPath, body);
      else await sendJson(this.kc, 'PUT', `${this.secretsPath}/${encodeURIComponent(this.options.secret)}`, body);
    } catch (err) {
      // 409: AlreadyExists on create, Conflict (stale resourceVersion) on update: another replica won.
      if (err instanceof ApiStatusError && err.statusCode === 409) throw new WriteConflict(err.message);
      throw err;
    }
  }

  async readBundles(): Promise<ReadonlyMap<string, string>> {
    const bundles = new Map<string, string>();
    for (const { kind, path } of CONFIG_KINDS) {
      const config = await getOrUndefined(this.kc, `${path}/${encodeURIComponent(this.options.webhookConfig)}`);
      // A webhook still guarded does not call stagewall yet: as good as no bundle.
      if (config)
        for (const hook of webhooksOf(config)) bundles.set(`${kind} ${this.options.webhookConfig} webhook ${hook.name}`, hook.guard >= 0 ? '' : hook.caBundle);
    }
    return bundles;
  }

  async writeBundles(bundle: string): Promise<void> {
    const value = Buffer.from(bundle).toString('base64');
    for (const { path } of CONFIG_KINDS) {
      const at = `${path}/${encodeURIComponent(this.options.webhookConfig)}`;
      const config = await getOrUndefined(this.kc, at);
      if (!config) continue;
      const hooks = webhooksOf(config);
      if (hooks.every((h) => h.caBundle === bundle && h.guard < 0)) continue;
      // The tests fail the patch if the webhooks changed since they were read. The guard goes in
      // the same patch as the bundle: one update, so no moment has the one without the other.
      const patch = hooks.flatMap((hook, i) => [
        { op: 'test', path: `/webhooks/${i}/name`, value: hook.name },
        { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value },
        ...(hook.guard < 0
          ? []
          : [
              { op: 'test', path: `/webhooks/${i}/matchConditions/${hook.guard}/name`, value: STARTING_GUARD },
              { op: 'remove', path: `/webhooks/${i}/matchConditions/${hook.guard}` },
            ]),
      ]);
      await sendJson(this.kc, 'PATCH', at, patch, 'application/json-patch+json');
    }
  }
}
