import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from './compiled.ts';
import { find, podOf, yamlDocs } from './manifest-checks.ts';

interface Instruction { op: string; args: string }

function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('deploy: Dockerfile and .dockerignore', () => {
  const steps = instructions(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  const stages = steps.filter((s) => s.op === 'FROM');
  const runtime = steps.slice(steps.lastIndexOf(stages[stages.length - 1]!));
  const args = Object.fromEntries(steps.filter((s) => s.op === 'ARG').map((s) => s.args.split('=') as [string, string]));
  const image = (from: string): string => from.split(/\s+/)[0]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? '');

  it('builds in one stage and runs in another, both on Node 24 (the LTS line)', () => {
    expect(stages).to.have.length(2);
    for (const s of stages) expect(image(s.args)).to.match(/^node:24-/);
  });

  it('installs exactly the lockfile, builds, then drops dev dependencies', () => {
    const runs = steps.filter((s) => s.op === 'RUN').map((s) => s.args).join(' && ');
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((c) => runs.indexOf(c));
    expect(order.every((i) => i >= 0), runs).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
  });

  it('runs node dist/main.js as uid 65532 (the manifests\' runAsUser), exposing 8080', () => {
    expect(runtime.filter((s) => s.op === 'USER').map((s) => s.args)).to.deep.equal(['65532:65532']);
    expect(JSON.parse(runtime.find((s) => s.op === 'CMD')!.args)).to.deep.equal(['node', 'dist/main.js']);
    expect(runtime.find((s) => s.op === 'EXPOSE')?.args).to.equal('8080');
    expect(runtime.find((s) => s.op === 'WORKDIR')?.args).to.equal('/app');
    const d = find(yamlDocs(path.join(repoRoot, 'deploy', 'operator.yaml')), 'Deployment');
    const { pod, container } = podOf(d);
    expect(pod.securityContext?.runAsUser).to.equal(65532);
    expect(container.command).to.equal(undefined);
  });

  it("sets node's flags in one place, the image's NODE_OPTIONS: no manifest overrides it (the bench reads it from here)", () => {
    const env = runtime.filter((s) => s.op === 'ENV').map((s) => s.args).join(' ');
    expect(env).to.match(/NODE_OPTIONS=/);
    for (const f of ['deploy/operator.yaml', 'charts/omkeys/values.yaml', 'charts/omkeys/templates/deployment.yaml']) {
      expect(readFileSync(path.join(repoRoot, f), 'utf8'), f).not.to.include('NODE_OPTIONS');
    }
  });

  it('copies package.json next to dist/ (main.js reads ../package.json) and only sources that exist', () => {
    const copied = runtime.filter((s) => s.op === 'COPY').map((s) => s.args.split(/\s+/).filter((a) => !a.startsWith('--')));
    expect(copied.map((c) => c[1])).to.include.members(['./package.json', './dist', './node_modules']);
    for (const s of steps.filter((x) => x.op === 'COPY' && !x.args.includes('--from'))) {
      for (const src of s.args.split(/\s+/).slice(0, -1)) expect(existsSync(path.join(repoRoot, src)), src).to.equal(true);
    }
  });

  it('.dockerignore keeps local state and build output out of the context, but not what the build needs', () => {
    const ignored = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).to.include.members(['node_modules', '.git', '.omkeys-dev', 'dist']);
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.to.include(needed);
  });
});
