import { expect } from 'chai';
import https from 'node:https';
import { RequestContext } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../tools/envtest/pooled-kube-config.ts';

function kubeconfig(token: string, skipTLSVerify = true): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('PooledKubeConfig', () => {
  it('gives every call the same keep-alive agent, and still a fresh token header', async () => {
    const kc = kubeconfig('t0k3n');
    const a = new RequestContext('https://127.0.0.1:6443/api', 'GET' as never);
    const b = new RequestContext('https://127.0.0.1:6443/api', 'GET' as never);
    await kc.applySecurityAuthentication(a);
    await kc.applySecurityAuthentication(b);
    expect(a.getAgent()).to.equal(b.getAgent());
    expect(a.getAgent()).to.be.instanceOf(https.Agent);
    expect((a.getAgent() as https.Agent & { keepAlive: boolean }).keepAlive).to.equal(true);
    expect((a.getAgent() as https.Agent).options.rejectUnauthorized).to.equal(false);
    expect(a.getHeaders().Authorization).to.equal('Bearer t0k3n');
    expect(kc.agentCount).to.equal(1);
    kc.destroyAgents();
  });

  it('keeps TLS identities apart', async () => {
    const insecure = kubeconfig('a', true);
    const ctx1 = new RequestContext('https://127.0.0.1:6443/api', 'GET' as never);
    await insecure.applySecurityAuthentication(ctx1);
    const verifying = kubeconfig('a', false);
    const ctx2 = new RequestContext('https://127.0.0.1:6443/api', 'GET' as never);
    await verifying.applySecurityAuthentication(ctx2);
    expect(ctx1.getAgent()).to.not.equal(ctx2.getAgent());
    insecure.destroyAgents();
    verifying.destroyAgents();
  });
});
