import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import { compileOperator, repoRoot, type CompiledOperator } from './compiled.ts';

interface Run {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function runNode(op: CompiledOperator, args: string[], env: Record<string, string>): Run {
  // cwd and layout as in the image: WORKDIR /app, CMD ["node", "dist/main.js"].
  const child = spawn(process.execPath, ['dist/main.js', ...args], {
    cwd: op.root,
    env: { PATH: process.env.PATH ?? '', HOME: op.root, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { exit, output: () => out, kill: (s) => child.kill(s) };
}

async function poll<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function logLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.js'))
    .map((d) => path.join(d.parentPath, d.name));
}

describe('deploy: the compiled operator (npm run build, node dist/main.js, as in the Dockerfile)', () => {
  let op: CompiledOperator;

  before(async function () {
    this.timeout(180_000);
    op = await compileOperator();
  });

  after(() => op?.remove());

  it('compiles every module to ESM with relative imports rewritten to .js', () => {
    const files = jsFiles(path.join(op.root, 'dist'));
    expect(files.map((f) => path.relative(op.root, f))).to.include.members(['dist/main.js', 'dist/operator/config.js', 'dist/operator/build.js']);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.to.match(/from\s+["']\.{1,2}\/[^"']*\.ts["']/);
      expect(text, f).not.to.match(/\brequire\(/);
    }
  });

  it('imports only Node built-ins and production dependencies (npm prune --omit=dev keeps it runnable)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const bare = new Set<string>();
    for (const f of jsFiles(path.join(op.root, 'dist'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1] ?? m[2] ?? '';
        if (spec.startsWith('.')) continue;
        const name = spec.startsWith('node:') ? spec.slice(5) : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '');
        bare.add(name);
      }
    }
    // The runtime speaks to the API server itself (src/kube/kube-client.ts): client-node is types only, a devDependency.
    expect([...bare]).to.include('prom-client');
    expect([...bare]).to.not.include('@kubernetes/client-node');
    expect([...bare].filter((n) => !allowed.has(n))).to.deep.equal([]);
  });

  it('exits 2 with "invalid configuration" on a bad setting', async function () {
    this.timeout(60_000);
    const run = runNode(op, ['--resync-period=soon'], {});
    const { code } = await run.exit;
    expect(code).to.equal(2);
    const fatal = logLines(run.output()).find((l) => l.msg === 'invalid configuration');
    expect(fatal?.err).to.match(/resync-period/);
  });

  it('starts, reports the package version, and serves /healthz, /readyz and /metrics while the API server is unreachable', async function () {
    this.timeout(120_000);
    const kubeconfig = path.join(op.root, 'unreachable.kubeconfig');
    // Port 9 (discard) refuses connections: the informers keep retrying, never synced.
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'not-a-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }));
    const run = runNode(op, ['--http-port=0', '--http-host=127.0.0.1', '--leader-election=false'], { KUBECONFIG: kubeconfig });
    try {
      const listening = await poll('the http server', () => {
        const lines = logLines(run.output());
        if (lines.some((l) => l.msg === 'omkeys failed to start')) throw new Error(run.output());
        return lines.find((l) => l.msg === 'http server listening');
      });
      const starting = logLines(run.output()).find((l) => l.msg === 'omkeys starting');
      const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
      expect(starting?.version).to.equal(pkg.version);
      const url = String(listening.url);
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${url}/readyz`)).status).to.equal(503);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).to.match(/^process_cpu_user_seconds_total /m);
      expect(metrics).to.include('omkeys_reconcile_total');
    } finally {
      run.kill('SIGKILL');
      await run.exit;
    }
  });
});
