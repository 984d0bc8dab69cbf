import { expect } from 'chai';
import { useOperator } from '../support/suite.ts';
import type { Suite } from '../support/suite.ts';
import { connectionFor } from '../support/connections.ts';
import { expectBackedOff, expectOneLiveKey, keysOfResource, useLeakScan } from './helpers.ts';

/** A cluster connection an admin gives this namespace alone, every role allowed. */
async function adminConnection(s: Suite, ns: string): Promise<{ kind: 'ClusterOpsManagerConnection'; name: string }> {
  const { sim, env } = s;
  return connectionFor(env.kc, ns, { ...sim, key: sim.admin });
}

async function expectNoKeyFor(s: Suite, ns: string, name: string): Promise<void> {
  const obj = await s.kube.getKey(ns, name);
  expect(obj).to.not.equal(undefined);
  expect(keysOfResource(s.sim, obj!).map((k) => k.id), `no key in Ops Manager for ${ns}/${name}`).to.deep.equal([]);
  expect(await s.kube.secret(ns, name)).to.equal(undefined);
}

describe('omkey: the default connection with bad credentials', function () {
  this.timeout(90_000);
  const wrong = { publicKey: 'qwertyui', privateKey: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' };
  const s = useOperator({ defaultKey: wrong });
  const scan = useLeakScan(s);

  it('is Unauthorized, with backoff', async () => {
    const { kube, sim, env } = s();
    s().privateKeys.add(wrong.privateKey);
    const ns = scan.track(await env.newNamespace('err-default-401'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    expect(await expectBackedOff(s(), ns, 'k', 'Unauthorized')).to.match(/credentials/);
    await expectNoKeyFor(s(), ns, 'k');
  });

  scan.itScans();
});

describe('omkey: policy and Secret templates', function () {
  this.timeout(90_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  it('refuses ORG_OWNER through the default connection (PolicyDenied), allows it through a connection whose policy names it', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('policy-owner'));
    await kube.createKey(ns, 'owner', { orgId: sim.orgId, roles: ['ORG_OWNER'] });
    expect(await expectBackedOff(s(), ns, 'owner', 'PolicyDenied')).to.include('ORG_OWNER');
    await expectNoKeyFor(s(), ns, 'owner');
    const connectionRef = await adminConnection(s(), ns);
    await kube.createKey(ns, 'own-conn', { orgId: sim.orgId, roles: ['ORG_OWNER'], connectionRef });
    const { obj } = await expectOneLiveKey(s(), ns, 'own-conn');
    expect(obj.status?.roles).to.deep.equal(['ORG_OWNER']);
  });

  it('an unknown template placeholder is InvalidSpec (no key minted); fixing it makes the key', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('template-invalid'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], secret: { template: { data: { URL: '{{ .opsManagerUrl }}' } } } });
    expect(await expectBackedOff(s(), ns, 'k', 'InvalidSpec')).to.include('opsManagerUrl');
    await expectNoKeyFor(s(), ns, 'k');
    await kube.updateKeySpec(ns, 'k', (spec) => {
      spec.secret = { template: { data: { URL: '{{ .baseUrl }}' } } };
    });
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    expect(data.URL).to.equal(sim.url);
  });

  it('renders a mongocli-style template and applies its labels and annotations', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('template-mcli'));
    await kube.createKey(ns, 'mcli', {
      orgId: sim.orgId,
      roles: ['ORG_READ_ONLY'],
      secret: {
        name: 'mcli-config',
        template: {
          labels: { team: 'billing', 'example.com/tier': 'gold' },
          annotations: { 'example.com/owner': 'billing@example.com' },
          data: {
            MCLI_PUBLIC_API_KEY: '{{ .publicKey }}',
            MCLI_PRIVATE_API_KEY: '{{.privateKey}}',
            MCLI_OPS_MANAGER_URL: '{{ .baseUrl }}/',
            MCLI_ORG_ID: '{{ .orgId }}',
            CONNECT: 'key={{ .keyId }};static text',
          },
        },
      },
    });
    const ready = await kube.waitForReady(ns, 'mcli');
    const secret = await kube.secret(ns, 'mcli-config');
    const data = (await kube.secretData(ns, 'mcli-config'))!;
    s().privateKeys.add(data.privateKey ?? '');
    expect(data.MCLI_PUBLIC_API_KEY).to.equal(data.publicKey);
    expect(data.MCLI_PRIVATE_API_KEY).to.equal(data.privateKey);
    expect(data.MCLI_OPS_MANAGER_URL).to.equal(`${sim.url}/`);
    expect(data.MCLI_ORG_ID).to.equal(sim.orgId);
    expect(data.CONNECT).to.equal(`key=${ready.status?.keyId ?? ''};static text`);
    expect(secret?.metadata?.labels).to.include({ team: 'billing', 'example.com/tier': 'gold', 'app.kubernetes.io/managed-by': 'omkeys' });
    expect(secret?.metadata?.annotations).to.include({ 'example.com/owner': 'billing@example.com' });
    expect(ready.status?.secretName).to.equal('mcli-config');
    expect(await kube.secret(ns, 'mcli')).to.equal(undefined);

    // A template change re-renders the Secret with the same key.
    await kube.updateKeySpec(ns, 'mcli', (spec) => {
      spec.secret!.template!.labels = { team: 'payments' };
      spec.secret!.template!.data = { MCLI_PUBLIC_API_KEY: '{{ .publicKey }}' };
    });
    const rerendered = await kube.waitForReady(ns, 'mcli');
    expect(rerendered.status?.keyId).to.equal(ready.status?.keyId);
    const after = await kube.secret(ns, 'mcli-config');
    expect(after?.metadata?.labels?.team).to.equal('payments');
    const afterData = (await kube.secretData(ns, 'mcli-config'))!;
    expect(afterData).to.not.have.property('MCLI_PRIVATE_API_KEY');
    expect(afterData.privateKey).to.equal(data.privateKey);
  });

  scan.itScans();
});

describe('omkey: namespaces the default connection does not serve', function () {
  this.timeout(90_000);
  const s = useOperator({ grants: [] });
  const scan = useLeakScan(s);

  it('is PolicyDenied for the default connection; a connection serving the namespace works', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('policy-namespace'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    expect(await expectBackedOff(s(), ns, 'k', 'PolicyDenied')).to.include(ns);
    await expectNoKeyFor(s(), ns, 'k');
    const connectionRef = await adminConnection(s(), ns);
    await kube.createKey(ns, 'own', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    await expectOneLiveKey(s(), ns, 'own');
  });

  scan.itScans();
});
