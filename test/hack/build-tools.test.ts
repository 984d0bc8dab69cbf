import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = (name: string): string => fileURLToPath(new URL(`../../hack/${name}`, import.meta.url));

/** Runs a build script with an empty cache (so it has to build) and the environment `env`. */
function runCold(name: string, env: (cache: string) => Record<string, string>): SpawnSyncReturns<string> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'omkeys-tool-'));
  try {
    return spawnSync('bash', [script(name)], { env: { HOME: cache, XDG_CACHE_HOME: cache, ...env(cache) }, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

const noGo = (): Record<string, string> => ({ PATH: '/usr/bin:/bin' });
const noProxy = (cache: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '', GOPROXY: 'off', GOFLAGS: '-mod=mod', GOMODCACHE: path.join(cache, 'mod'), GOPATH: path.join(cache, 'gopath'), GOCACHE: path.join(cache, 'gocache'),
});

describe('hack/build-helm.sh, build-helm3.sh, build-promtool.sh, build-lua-test.sh, build-oci-registry.sh', () => {
  const proxied = [
    ['build-helm.sh', /cannot download helm\.sh\/helm\/v4@v4\.\d+\.\d+ from the Go module proxy/],
    ['build-helm3.sh', /cannot download helm\.sh\/helm\/v3@v3\.\d+\.\d+ from the Go module proxy/],
    ['build-promtool.sh', /cannot download github\.com\/prometheus\/prometheus@v0\.\d+\.\d+ from the Go module proxy/],
  ] as const;
  for (const [name, module] of proxied) {
    it(`${name} fails with a clear message when Go is not on the PATH, or the module proxy cannot be reached`, () => {
      const a = runCold(name, noGo);
      expect(a.status).to.equal(1);
      expect(a.stderr).to.match(/Go is not on the PATH/);
      expect(a.stdout).to.equal('');
      const b = runCold(name, noProxy);
      expect(b.status, b.stderr).to.equal(1);
      expect(b.stderr).to.match(module);
      expect(b.stdout).to.equal('');
    });
  }

  for (const name of ['build-lua-test.sh', 'build-oci-registry.sh']) {
    it(`${name} fails with a clear message without Go or the module proxy`, function () {
      this.timeout(60_000);
      expect(runCold(name, noGo).stderr).to.match(/Go is not on the PATH/);
      const b = runCold(name, noProxy);
      expect(b.status).to.equal(1);
      expect(b.stderr).to.match(/go build failed; is the Go module proxy reachable\?/);
      expect(b.stdout).to.equal('');
    });
  }
});
