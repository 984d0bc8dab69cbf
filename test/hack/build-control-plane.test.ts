import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../hack/build-control-plane.sh', import.meta.url));

describe('hack/build-control-plane.sh', () => {
  it('fails with a clear message when Go is not on the PATH (and builds nothing)', () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'omkeys-nogo-'));
    try {
      const res = spawnSync('bash', [script], { env: { PATH: '/usr/bin:/bin', HOME: cache, XDG_CACHE_HOME: cache }, encoding: 'utf8' });
      expect(res.status).to.equal(1);
      expect(res.stderr).to.match(/Go is not on the PATH/);
      expect(res.stdout).to.equal('');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('fails with a clear message when the Go module proxy cannot be reached', () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'omkeys-noproxy-'));
    try {
      const res = spawnSync('bash', [script], {
        env: { PATH: process.env.PATH ?? '', HOME: cache, XDG_CACHE_HOME: cache, GOPROXY: 'off', GOFLAGS: '-mod=mod', GOMODCACHE: path.join(cache, 'mod'), GOPATH: path.join(cache, 'gopath') },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(res.status).to.equal(1);
      expect(res.stderr).to.match(/cannot download k8s\.io\/kubernetes@v1\.\d+\.\d+ from the Go module proxy/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
