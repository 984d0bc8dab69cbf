import pino from 'pino';
import { FINALIZER, LEGACY_SECRET_FINALIZER, type OpsManagerApiKey, type OpsManagerApiKeySpec, type OpsManagerApiKeyStatus, type ProjectKeyBinding } from '../../../src/api/types.ts';
import { OpsManagerApiKeyReconciler } from '../../../src/controllers/opsmanagerapikey/reconciler.ts';
import { buildSecret } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { dropSecretData } from '../../../src/controllers/opsmanagerapikey/secret-facts.ts';
import { ConnectionPool } from '../../../src/controllers/shared/connections.ts';
import { catalogOf, clusterConnection, credentialsSecret, openGrant } from './connection-fixtures.ts';
import { FakeClock } from '../../runtime/fake-clock.ts';
import { RecordingEvents, RecordingObjects, RecordingSecrets } from './recording-kube.ts';
import { ORG, PROJECT, RecordingOm } from './recording-om.ts';

export const BASE_URL = 'http://om.test';
export const silent = pino({ level: 'silent' });

/** The operator's default connection, every client it makes being the recording fake. */
export function recordingPool(om: RecordingOm, keys: () => readonly OpsManagerApiKey[] = () => []): ConnectionPool {
  const credentials = credentialsSecret('omkeys-system', 'om-credentials', 'operator', 'operator-private');
  return new ConnectionPool({
    secrets: { get: () => Promise.resolve(credentials) },
    catalog: catalogOf({
      cluster: [
        clusterConnection('om', { baseUrl: BASE_URL, default: true }, [openGrant([ORG], [PROJECT])]),
        clusterConnection('om-team', { baseUrl: BASE_URL }, [openGrant([ORG], [PROJECT])]),
      ],
      keys,
    }),
    clientOptions: {},
    logger: silent,
    makeClient: () => om.client(),
  });
}

/** One OpsManagerApiKey's world, every write recorded in `writes`: the resource, its Secret, Ops Manager, Events. */
export class KeyWorld {
  readonly writes: string[] = [];
  readonly om = new RecordingOm(this.writes);
  readonly keys = new RecordingObjects<OpsManagerApiKey>(this.writes, 'key');
  readonly secrets = new RecordingSecrets(this.writes);
  readonly configMaps = new RecordingSecrets(this.writes, 'configmap');
  readonly events = new RecordingEvents(this.writes);
  readonly clock = new FakeClock(Date.parse('2026-11-28T12:00:00Z'));
  bindings: ProjectKeyBinding[] = [];
  /** What act reported as carried out for the counters (onCounted), one line each. */
  readonly tallies: string[] = [];
  readonly reconciler: OpsManagerApiKeyReconciler;

  constructor(opts: { freshnessMs?: number } = {}) {
    const connections = recordingPool(this.om, () => [...this.keys.items.values()]);
    this.reconciler = new OpsManagerApiKeyReconciler({
      keys: this.keys,
      secrets: this.secrets,
      configMaps: this.configMaps,
      events: this.events,
      cache: {
        key: (ns, name) => this.keys.items.get(`${ns}/${name}`),
        // As the operator's informer holds it: metadata and facts, no data.
        secret: (ns, name) => {
          const s = this.secrets.items.get(`${ns}/${name}`);
          return s ? dropSecretData(structuredClone(s)) : undefined;
        },
        bindingsOf: () => this.bindings,
        configMap: (ns, name) => this.configMaps.items.get(`${ns}/${name}`),
        allKeys: () => [...this.keys.items.values()],
      },
      connections,
      clock: this.clock,
      freshnessMs: opts.freshnessMs ?? 0,
      onCounted: (t) => this.tallies.push(t.kind === 'KeyMinted' ? `KeyMinted ${t.why}` : t.kind),
    });
  }

  /** Stores the resource (with our finalizer unless told otherwise). */
  key(spec: Partial<OpsManagerApiKeySpec> = {}, status?: OpsManagerApiKeyStatus, meta: Partial<OpsManagerApiKey['metadata']> = {}): OpsManagerApiKey {
    return this.keys.put({
      apiVersion: 'omkeys.io/v1alpha1',
      kind: 'OpsManagerApiKey',
      metadata: { name: 'k', namespace: 'team-a', uid: 'uid-1', generation: 1, finalizers: [FINALIZER], ...meta },
      spec: { orgId: ORG, roles: ['ORG_READ_ONLY'], ...spec },
      ...(status ? { status } : {}),
    });
  }

  projectKey(status?: OpsManagerApiKeyStatus, meta: Partial<OpsManagerApiKey['metadata']> = {}): OpsManagerApiKey {
    return this.key({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }, status, meta);
  }

  /** Our Secret holding key `keyId`'s pair, as the operator writes it (`legacy`: as an earlier version did, with its finalizer). */
  secretFor(obj: OpsManagerApiKey, keyId: string, legacy = false): void {
    const s = buildSecret(obj, {
      keyId,
      publicKey: `pub-${keyId}`,
      privateKey: `priv-${keyId}`,
      baseUrl: BASE_URL,
      ...(obj.spec.orgId ? { orgId: obj.spec.orgId } : {}),
      ...(obj.spec.projectId ? { projectId: obj.spec.projectId } : {}),
    });
    if (legacy && s.metadata) s.metadata.finalizers = [LEGACY_SECRET_FINALIZER];
    this.secrets.put(s);
  }

  /** `kubectl delete secret k`: gone at once, or, with a finalizer, being deleted until it is released. */
  deleteSecret(): void {
    const s = this.secrets.items.get('team-a/k');
    if (!s?.metadata) throw new Error('no Secret');
    if ((s.metadata.finalizers ?? []).length === 0) this.secrets.items.delete('team-a/k');
    else this.secrets.put({ ...s, metadata: { ...s.metadata, deletionTimestamp: new Date(this.clock.now()) } });
  }

  /** Edits the stored Secret as a person would with kubectl. */
  editSecret(edit: 'pair' | 'label' | 'templateKey' | 'digests'): void {
    const s = this.secrets.items.get('team-a/k');
    if (!s?.metadata) throw new Error('no Secret');
    if (edit === 'pair') s.data = { ...s.data, privateKey: Buffer.from('typed by hand').toString('base64') };
    else if (edit === 'templateKey') s.data = { ...s.data, uri: Buffer.from('typed by hand').toString('base64') };
    else if (edit === 'digests') {
      // As an older operator wrote it.
      delete s.metadata.annotations?.['omkeys.io/data-sha256'];
      delete s.metadata.annotations?.['omkeys.io/template-sha256'];
    } else s.metadata.labels = {};
  }

  async reconcile(): Promise<unknown> {
    try {
      await this.reconciler.reconcile('team-a/k', silent);
      return undefined;
    } catch (err) {
      return err;
    }
  }

  stored(): OpsManagerApiKey {
    const o = this.keys.items.get('team-a/k');
    if (!o) throw new Error('resource gone');
    return o;
  }
}

export const readyStatus = (keyId: string, extra: Partial<OpsManagerApiKeyStatus> = {}): OpsManagerApiKeyStatus => ({
  observedGeneration: 1,
  keyId,
  publicKey: `pub-${keyId}`,
  roles: ['ORG_READ_ONLY'],
  accessList: [],
  secretName: 'k',
  rotatedAt: '2026-11-28T11:00:00Z',
  connection: 'ClusterOpsManagerConnection/om',
  ...extra,
});
