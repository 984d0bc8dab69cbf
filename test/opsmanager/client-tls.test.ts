import { expect } from 'chai';
import pino from 'pino';
import { TlsError } from '../../src/opsmanager/errors.ts';
import { harness, rejection } from './helpers.ts';
import type { Harness } from './helpers.ts';
import { makeTlsFixture } from './tls-fixture.ts';
import type { TlsFixture } from './tls-fixture.ts';

describe('opsmanager/client against the simulator: TLS', () => {
  let tls: TlsFixture;
  let h: Harness;
  before(() => {
    tls = makeTlsFixture();
  });
  beforeEach(async () => {
    h = await harness({ tls: { cert: tls.cert, key: tls.key } });
  });
  afterEach(() => h.stop());

  it('works with the custom CA given as caPem', async () => {
    expect(h.sim.url).to.match(/^https:/);
    const c = h.client({ caPem: tls.caPem });
    expect((await c.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
    const created = await c.createOrgKey(h.sim.orgId, { desc: 'over tls', roles: ['ORG_READ_ONLY'] });
    expect(created.privateKey).to.have.length(36);
  });

  it('fails with TlsError, without retrying, when the CA is not trusted', async () => {
    for (const c of [h.client(), h.client({ caPem: tls.otherCaPem })]) {
      const err = await rejection(c.getOrgKey(h.sim.orgId, h.sim.admin.id));
      expect(err).to.be.instanceOf(TlsError).and.include({ code: 'OM_TLS' });
    }
    expect(h.sleeps).to.deep.equal([]);
    expect(h.sim.stats.list()).to.deep.equal([]);
  });

  it('a create that fails the TLS handshake is not ambiguous', async () => {
    const err = await rejection(h.client().createOrgKey(h.sim.orgId, { desc: 'x', roles: ['ORG_READ_ONLY'] }));
    expect(err).to.be.instanceOf(TlsError);
  });

  it('skips verification only when asked, and says so at warn level', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(s); } });
    const c = h.client({ insecureSkipTlsVerify: true, logger });
    expect((await c.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.msg).to.match(/VERIFICATION IS DISABLED/);
  });
});
