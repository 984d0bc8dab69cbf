import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseVariant, variantLabel } from '../../bench/lib/cold-start.ts';
import { chartMemoryLimit, dockerfileEnv, imageRuntime, quantityMiB } from '../../bench/lib/image-runtime.ts';
import { MemoryCgroup } from '../../bench/lib/memory-cgroup.ts';
import { repoRoot } from '../deploy/compiled.ts';

describe('bench image runtime: the operator runs as the image runs it', () => {
  const rows: Array<{ name: string; dockerfile: string; env: Record<string, string> }> = [
    { name: 'key=value pairs', dockerfile: 'FROM a\nENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps\n', env: { NODE_ENV: 'production', NODE_OPTIONS: '--enable-source-maps' } },
    { name: 'a quoted value with spaces', dockerfile: 'FROM a\nENV NODE_OPTIONS="--enable-source-maps --max-semi-space-size=4" X=1\n', env: { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=4', X: '1' } },
    { name: 'only the runtime stage', dockerfile: 'FROM a AS build\nENV BUILD_ONLY=1\nFROM a\nENV NODE_ENV=production\n', env: { NODE_ENV: 'production' } },
    { name: 'a line continuation and the legacy form', dockerfile: 'FROM a\nENV A=1 \\\n    B=2\nENV C three words\n', env: { A: '1', B: '2', C: 'three words' } },
  ];
  for (const row of rows) it(`reads the Dockerfile's ENV: ${row.name}`, () => expect(dockerfileEnv(row.dockerfile)).to.deep.equal(row.env));

  it('reads memory quantities and the chart limit', () => {
    expect([quantityMiB('384Mi'), quantityMiB('1Gi'), quantityMiB('402653184'), quantityMiB('1048576k')]).to.deep.equal([384, 1024, 384, 1000]);
    expect(chartMemoryLimit('x: 1\nresources:\n  requests:\n    cpu: 50m\n    memory: 128Mi\n  limits:\n    memory: 384Mi\n\npod: {}\n')).to.equal('384Mi');
    expect(() => quantityMiB('lots')).to.throw();
  });

  it("the repository's Dockerfile, chart and deploy/operator.yaml agree", () => {
    const r = imageRuntime(repoRoot);
    expect(r.env.NODE_ENV).to.equal('production');
    expect(r.env.NODE_OPTIONS).to.include('--enable-source-maps');
    const deployed = /limits:\s*\n\s*memory:\s*(\S+)/.exec(readFileSync(path.join(repoRoot, 'deploy', 'operator.yaml'), 'utf8'))?.[1];
    expect(deployed).to.equal(r.memoryLimit);
  });

  it('parses --cold-start-variant', () => {
    expect(parseVariant('384:--max-semi-space-size=2')).to.deep.equal({ limitMiB: 384, nodeOptions: '--max-semi-space-size=2' });
    expect(parseVariant('none:')).to.deep.equal({ limitMiB: null, nodeOptions: '' });
    expect(parseVariant(':--optimize-for-size --max-old-space-size=160')).to.deep.equal({ nodeOptions: '--optimize-for-size --max-old-space-size=160' });
    expect(() => parseVariant('--max-old-space-size=160')).to.throw();
    expect(() => parseVariant('big:')).to.throw();
    expect(variantLabel({ nodeOptions: '--x' }, 384)).to.equal('384 MiB limit, + --x');
    expect(variantLabel({ limitMiB: null, nodeOptions: '' }, 384)).to.equal('no limit');
  });
});

describe('bench memory cgroup: a child of the bench own, or a reason why not', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-cg-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cgroup v1: under the memory controller path of /proc/self/cgroup, with the limit written', () => {
    mkdirSync(path.join(dir, 'memory', 'parent'), { recursive: true });
    writeFileSync(path.join(dir, 'memory', 'memory.limit_in_bytes'), '9223372036854771712');
    writeFileSync(path.join(dir, 'self-cgroup'), '5:devices:/\n4:memory:/parent\n0::/\n');
    const cg = MemoryCgroup.create(384, 'bench', path.join(dir, 'self-cgroup'), dir);
    expect(cg).to.be.instanceOf(MemoryCgroup);
    const made = cg as MemoryCgroup;
    expect(made.dir).to.equal(path.join(dir, 'memory', 'parent', 'bench'));
    expect(readFileSync(path.join(made.dir, 'memory.limit_in_bytes'), 'utf8')).to.equal(String(384 * 1024 * 1024));
    made.setLimit(null);
    expect(readFileSync(path.join(made.dir, 'memory.limit_in_bytes'), 'utf8')).to.equal('-1');
    expect(made.wrap({ file: 'node', args: ['dist/main.js'] })).to.deep.equal({ file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', path.join(made.dir, 'cgroup.procs'), 'node', 'dist/main.js'] });
  });

  it('no hierarchy (a CI without cgroups mounted): a reason, nothing made', () => {
    writeFileSync(path.join(dir, 'self-cgroup'), '0::/\n');
    const cg = MemoryCgroup.create(384, 'bench', path.join(dir, 'self-cgroup'), dir);
    expect(cg).not.to.be.instanceOf(MemoryCgroup);
    expect((cg as { reason: string }).reason).to.be.a('string').and.not.equal('');
  });

  it('cgroup v2 without the memory controller delegated: a reason', () => {
    mkdirSync(path.join(dir, 'user'), { recursive: true });
    writeFileSync(path.join(dir, 'cgroup.controllers'), 'cpu memory');
    writeFileSync(path.join(dir, 'user', 'cgroup.controllers'), 'cpu');
    writeFileSync(path.join(dir, 'user', 'cgroup.subtree_control'), 'cpu');
    writeFileSync(path.join(dir, 'self-cgroup'), '0::/user\n');
    const cg = MemoryCgroup.create(384, 'bench', path.join(dir, 'self-cgroup'), dir);
    expect((cg as { reason: string }).reason).to.include('does not delegate the memory controller');
  });
});
