import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ControlPlane } from '../../../tools/envtest/control-plane.ts';
import { TestEnv } from '../../../tools/envtest/env.ts';
import { runLogDir } from '../../envtest/run-logs.ts';
import { chartDir, helm, parseDocs, withValuesFile } from '../../deploy/helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';

interface Connection {
  metadata: { uid: string; annotations?: Record<string, string> };
  spec: { baseUrl: string; default: boolean; policy: { grants: unknown[] } };
}

const NAME = 'opsmanager';
const GRANT = { namespaces: { names: ['team-a'] }, projects: ['65f1c0ffee0000000000c001'], roles: ['GROUP_READ_ONLY'] };

describe("deploy: the chart's ClusterOpsManagerConnection, installed with its CRDs (own control plane)", () => {
  let plane: ControlPlane | undefined;
  let env: TestEnv;
  const helmKube = (args: string[]): ReturnType<typeof helm> =>
    helm(args, { kubeconfig: env.kubeconfigPath, timeoutMs: 150_000 });

  async function connection(): Promise<Connection> {
    const api = env.kc.makeApiClient(CustomObjectsApi);
    const ref = { group: 'omkeys.io', version: 'v1alpha1', plural: 'clusteropsmanagerconnections', name: NAME };
    const obj: unknown = await api.getClusterCustomObject(ref);
    return obj as Connection;
  }

  async function kindsIn(what: 'manifest' | 'hooks', ns: string): Promise<string[]> {
    const r = await helmKube(['get', what, 'omkeys', '-n', ns]);
    expect(r.code, r.out).to.equal(0);
    return parseDocs(r.stdout).map((o) => o.kind ?? '');
  }

  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    const binDir = process.env.OMKEYS_CP_BIN;
    if (!binDir) throw new Error('OMKEYS_CP_BIN is not set');
    // Not the shared control plane: there the CRDs are the harness's, and the connection's kind is
    // served before the release exists; here the release brings its CRDs, as on a new cluster.
    plane = new ControlPlane({ binDir, logDir: path.join(runLogDir(), 'chart-connection-control-plane') });
    await plane.start();
    env = new TestEnv(plane);
  });

  after(async function () {
    this.timeout(60_000);
    await plane?.stop();
  });

  it('install creates it after its CRD; upgrade adopts and changes it in place; uninstall keeps it', async function () {
    this.timeout(300_000);
    const ns = await env.newNamespace('chart-connection');
    const values = {
      fullnameOverride: 'omkeys-conn',
      connection: { create: true, name: NAME, baseUrl: 'https://om.example:8443', policy: { grants: [GRANT] } },
    };
    const install = await withValuesFile(values, (f) => helmKube(['install', 'omkeys', chartDir, '-n', ns, '-f', f]));
    expect(install.code, install.out).to.equal(0);
    const first = await connection();
    // adoption: the CRD's default.
    const grants = [{ ...GRANT, adoption: 'None' }];
    expect(first.spec).to.deep.include({ baseUrl: 'https://om.example:8443', default: true });
    expect(first.spec.policy).to.deep.equal({ grants });
    const hook = { 'helm.sh/hook': 'post-install', 'meta.helm.sh/release-name': 'omkeys' };
    expect(first.metadata.annotations).to.deep.include(hook);
    expect(await kindsIn('hooks', ns)).to.deep.equal(['ClusterOpsManagerConnection']);
    expect(await kindsIn('manifest', ns)).not.to.include('ClusterOpsManagerConnection');

    const changes = ['connection.baseUrl=https://om2.example:8443', 'connection.default=false'];
    const set = changes.flatMap((v) => ['--set', v]);
    const upgrade = await helmKube(['upgrade', 'omkeys', chartDir, '-n', ns, '--reuse-values', ...set]);
    expect(upgrade.code, upgrade.out).to.equal(0);
    const second = await connection();
    // The same object (keys naming it never see it vanish), now the release's own.
    expect(second.metadata.uid).to.equal(first.metadata.uid);
    expect(second.spec).to.deep.include({ baseUrl: 'https://om2.example:8443', default: false });
    expect(await kindsIn('manifest', ns)).to.include('ClusterOpsManagerConnection');
    expect(await kindsIn('hooks', ns)).to.deep.equal([]);

    const uninstall = await helmKube(['uninstall', 'omkeys', '-n', ns, '--wait', '--timeout', '60s']);
    expect(uninstall.code, uninstall.out).to.equal(0);
    expect((await connection()).metadata.uid).to.equal(first.metadata.uid);
  });
});
