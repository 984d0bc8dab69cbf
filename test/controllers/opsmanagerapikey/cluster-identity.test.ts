import { expect } from 'chai';
import { ClusterIdentity } from '../../../src/controllers/shared/cluster-identity.ts';
import { silent } from '../support/key-world.ts';

const refused = (code: number): Error => Object.assign(new Error(`HTTP ${code}`), { code });

describe('cluster identity (the uid of kube-system)', () => {
  it('read once, then known; concurrent callers share the read', async () => {
    let reads = 0;
    const id = new ClusterIdentity({ read: () => (reads++, Promise.resolve({ metadata: { uid: 'u-1' } })), logger: silent });
    expect(id.known()).to.equal(undefined);
    expect(await Promise.all([id.resolve(), id.resolve()])).to.deep.equal(['u-1', 'u-1']);
    expect(await id.resolve()).to.equal('u-1');
    expect([id.known(), reads]).to.deep.equal(['u-1', 1]);
  });

  for (const code of [403, 404]) {
    it(`refused (${code}): settled as unknown, never read again (old tags, no janitor)`, async () => {
      let reads = 0;
      const id = new ClusterIdentity({ read: () => (reads++, Promise.reject(refused(code))), logger: silent });
      expect(await id.resolve()).to.equal(undefined);
      expect(await id.resolve()).to.equal(undefined);
      expect(reads).to.equal(1);
    });
  }

  it('any other failure is thrown, and the next call reads again', async () => {
    let reads = 0;
    const id = new ClusterIdentity({ read: () => (++reads === 1 ? Promise.reject(refused(503)) : Promise.resolve({ metadata: { uid: 'u-2' } })), logger: silent });
    let thrown: unknown;
    await id.resolve().catch((err: unknown) => (thrown = err));
    expect(thrown).to.be.instanceOf(Error);
    expect(await id.resolve()).to.equal('u-2');
  });
});
