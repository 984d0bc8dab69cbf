import { expect } from 'chai';
import { Registry } from 'prom-client';
import { startHttpServer } from '../../src/runtime/http-server.ts';
import { createMetrics } from '../../src/runtime/metrics.ts';
import { silentLogger } from './fake-list-watch.ts';

describe('startHttpServer', () => {
  it('serves /healthz, /readyz following isReady, and /metrics with the runtime metrics', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.reconcileTotal.inc({ controller: 'omkey', result: 'success' });
    metrics.omRequests.inc({ route: '/orgs/{orgId}/apiKeys', method: 'POST', status: '201' });
    metrics.leader.set(1);
    let ready = false;
    const server = await startHttpServer({ port: 0, host: '127.0.0.1', registry, isReady: () => ready, logger: silentLogger() });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${server.url}/readyz`)).status).to.equal(503);
      ready = true;
      expect((await fetch(`${server.url}/readyz`)).status).to.equal(200);
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.include('text/plain');
      const body = await res.text();
      expect(body).to.include('omkeys_reconcile_total{controller="omkey",result="success"} 1');
      expect(body).to.include('omkeys_opsmanager_requests_total{route="/orgs/{orgId}/apiKeys",method="POST",status="201"} 1');
      expect(body).to.include('omkeys_leader 1');
      for (const name of ['omkeys_reconcile_errors_total', 'omkeys_reconcile_duration_seconds', 'omkeys_workqueue_depth', 'omkeys_workqueue_wait_seconds', 'omkeys_opsmanager_request_duration_seconds']) {
        expect(body).to.include(`# TYPE ${name}`);
      }
      expect((await fetch(`${server.url}/nope`)).status).to.equal(404);
      expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).to.equal(405);
    } finally {
      await server.close();
    }
  });
});
