import { expect } from 'chai';
import { Counter, Registry } from 'prom-client';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { countKubeRequests, parseKubeRequest } from '../../src/runtime/kube-requests.ts';
import { startFakeApiServer } from '../kube/fake-api-server.ts';

describe('kube requests', () => {
  it('reads verb, resource, namespace and name from the path as the API server routes it', () => {
    expect(parseKubeRequest('GET', 'https://h:6443/api/v1/namespaces/a/secrets/s1')).to.deep.equal({ verb: 'get', resource: 'secrets', namespace: 'a', name: 's1' });
    expect(parseKubeRequest('GET', 'https://h/api/v1/secrets?labelSelector=x%3Dy')).to.deep.equal({ verb: 'list', resource: 'secrets' });
    expect(parseKubeRequest('PUT', 'https://h/apis/omkeys.io/v1alpha1/namespaces/a/opsmanagerapikeys/k/status'))
      .to.deep.equal({ verb: 'update', resource: 'opsmanagerapikeys/status', namespace: 'a', name: 'k' });
    expect(parseKubeRequest('POST', 'https://h/apis/events.k8s.io/v1/namespaces/a/events')).to.deep.equal({ verb: 'create', resource: 'events', namespace: 'a' });
    expect(parseKubeRequest('PATCH', 'https://h/apis/coordination.k8s.io/v1/namespaces/s/leases/l')).to.deep.equal({ verb: 'patch', resource: 'leases', namespace: 's', name: 'l' });
    expect(parseKubeRequest('DELETE', 'https://h/api/v1/namespaces/a/configmaps')).to.deep.equal({ verb: 'deletecollection', resource: 'configmaps', namespace: 'a' });
    // The Namespace object itself, not something in it.
    expect(parseKubeRequest('GET', 'https://h/api/v1/namespaces/a')).to.deep.equal({ verb: 'get', resource: 'namespaces', name: 'a' });
    expect(parseKubeRequest('GET', 'https://h/api/v1/namespaces')).to.deep.equal({ verb: 'list', resource: 'namespaces' });
    expect(parseKubeRequest('GET', 'https://h/version')).to.equal(undefined);
    expect(parseKubeRequest('GET', 'https://h/apis/omkeys.io')).to.equal(undefined);
    expect(parseKubeRequest('OPTIONS', 'https://h/api/v1/secrets')).to.equal(undefined);
  });

  it('counts each request once as it is sent, marking GETs of objects the cache held', async () => {
    const api = await startFakeApiServer((req) => ({ status: 200, body: { kind: 'Secret', metadata: { name: req.path } } }));
    const kube = new KubeClient({ server: api.url });
    try {
      const registry = new Registry();
      const counter = new Counter({ name: 'k', help: 'k', labelNames: ['verb', 'resource', 'in_cache'] as const, registers: [registry] });
      countKubeRequests(kube, counter, (resource, namespace, name) => resource === 'secrets' && namespace === 'a' && name === 'held');
      await kube.request({ path: '/api/v1/namespaces/a/secrets/held' });
      await kube.request({ path: '/api/v1/namespaces/a/secrets/other' });
      await kube.request({ path: '/api/v1/namespaces/a/secrets/other' });
      await kube.request({ method: 'POST', path: '/api/v1/namespaces/a/secrets', body: { metadata: { name: 'n' } } });
      const values = (await counter.get()).values.map((v) => [v.labels.verb, v.labels.resource, v.labels.in_cache, v.value]);
      expect(values).to.deep.equal([
        ['get', 'secrets', 'true', 1],
        ['get', 'secrets', 'false', 2],
        ['create', 'secrets', '', 1],
      ]);
      expect(api.requests.map((r) => r.method)).to.deep.equal(['GET', 'GET', 'GET', 'POST']);
    } finally {
      kube.close();
      await api.close();
    }
  });
});
