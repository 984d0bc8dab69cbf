import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExecCredentialSource, parseExecCredential, type ExecConfig, type ExecCredentialOptions } from '../../src/kube/exec-credential.ts';
import { ExecCredentialError, redactSecrets } from '../../src/kube/exec-plugin-run.ts';

const v1 = 'client.authentication.k8s.io/v1';
const cred = (status: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ apiVersion: v1, kind: 'ExecCredential', status, ...extra });

describe('ExecCredential output', () => {
  const cases: Array<{ name: string; out: string; want?: unknown; error?: RegExp }> = [
    { name: 'a token', out: cred({ token: 'tok' }), want: { token: 'tok' } },
    { name: 'a token until its expiry', out: cred({ token: 'tok', expirationTimestamp: '2030-01-02T03:04:05Z' }), want: { token: 'tok', expiresAt: Date.parse('2030-01-02T03:04:05Z') } },
    { name: 'a client certificate and key', out: cred({ clientCertificateData: 'CERT', clientKeyData: 'KEY' }), want: { cert: 'CERT', key: 'KEY' } },
    { name: 'not JSON, and the output is not quoted', out: 'token: sekrit-value', error: /output is not JSON$/ },
    { name: 'not an ExecCredential', out: JSON.stringify({ kind: 'Status' }), error: /not an ExecCredential/ },
    { name: 'another apiVersion', out: cred({ token: 't' }, { apiVersion: 'client.authentication.k8s.io/v1beta1' }), error: /printed apiVersion "client.authentication.k8s.io\/v1beta1", the kubeconfig asks for/ },
    { name: 'no status', out: cred(undefined), error: /has no status/ },
    { name: 'neither token nor certificate', out: cred({ expirationTimestamp: '2030-01-01T00:00:00Z' }), error: /neither a token nor/ },
    { name: 'a certificate without key', out: cred({ clientCertificateData: 'C' }), error: /certificate or key, not both/ },
    { name: 'a token that is no string', out: cred({ token: 7 }), error: /status.token is not a string/ },
    { name: 'an expiry that is no time', out: cred({ token: 't', expirationTimestamp: 'soon' }), error: /"soon" is not a time/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = (): unknown => parseExecCredential(c.out, v1, 'plugin');
      if (!c.error) return expect(run()).to.deep.equal(c.want);
      expect(run).to.throw(ExecCredentialError, c.error);
      try {
        run();
      } catch (err) {
        expect((err as ExecCredentialError).code).to.equal('EXEC_PLUGIN_INVALID_OUTPUT');
        expect((err as Error).message).to.not.contain('sekrit');
      }
    });
  }
});

describe('plugin stderr redaction', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
  const cases: Array<[string, string, string[], string]> = [
    ['the credential it returned', 'got abc-123 from cache', ['abc-123'], 'got [REDACTED] from cache'],
    ['a JWT', `using ${jwt} now`, [], 'using [REDACTED] now'],
    ['token: x', 'token: short1 expires', [], 'token: [REDACTED] expires'],
    ['Bearer x', 'Authorization: Bearer xyz', [], 'Authorization: Bearer [REDACTED]'],
    ['a long opaque string', `k8s-aws-v1.${'a'.repeat(40)}`, [], 'k8s-aws-v1.[REDACTED]'],
    ['a private key', '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\nok', [], '[REDACTED]\nok'],
    ['plain words and paths stay', 'error: refresh token expired for /home/me/.aws/sso/cache, run aws sso login', [], 'error: refresh token expired for /home/me/.aws/sso/cache, run aws sso login'],
  ];
  for (const [name, text, known, want] of cases) it(name, () => expect(redactSecrets(text, known)).to.equal(want));
});

describe('ExecCredentialSource (real plugin processes)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-exec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A plugin: a Node script that counts its runs in `runs` and then runs `body`. */
  function plugin(body: string): ExecConfig {
    const file = path.join(dir, 'plugin.mjs');
    writeFileSync(file, `import fs from 'node:fs';\nfs.appendFileSync(${JSON.stringify(path.join(dir, 'runs'))}, 'x');\n${body}\n`);
    return { user: 'dev', command: process.execPath, args: [file], env: [], apiVersion: v1, interactiveMode: 'Never', provideClusterInfo: false };
  }
  const runs = (): number => {
    try {
      return readFileSync(path.join(dir, 'runs'), 'utf8').length;
    } catch {
      return 0;
    }
  };
  const printing = (status: unknown): string => `process.stdout.write(${JSON.stringify(cred(status))});`;
  const logs: Array<{ level: string; obj: object; msg: string }> = [];
  const logger = { info: (obj: object, msg: string) => logs.push({ level: 'info', obj, msg }), warn: (obj: object, msg: string) => logs.push({ level: 'warn', obj, msg }) };
  const source = (config: ExecConfig, opts: ExecCredentialOptions = {}): ExecCredentialSource =>
    new ExecCredentialSource(config, { server: 'https://k:6443', tlsServerName: 'api.k', ca: 'CA' }, { env: { PATH: process.env.PATH, KEEP: 'me' }, logger, ...opts });
  const failure = (p: Promise<unknown>): Promise<ExecCredentialError> => p.then(() => expect.fail('no error'), (e: unknown) => e as ExecCredentialError);
  beforeEach(() => logs.splice(0));

  it('passes args, env and KUBERNETES_EXEC_INFO as client-go does', async () => {
    const config = {
      ...plugin(`fs.writeFileSync(${JSON.stringify(path.join(dir, 'seen'))}, JSON.stringify({ args: process.argv.slice(2), env: process.env }));\n${printing({ token: 't' })}`),
      env: [{ name: 'AWS_PROFILE', value: 'dev' }, { name: 'KEEP', value: 'overridden' }],
      provideClusterInfo: true,
      clusterConfig: { audience: 'x' },
    };
    config.args.push('--cluster', 'prod');
    expect(await source(config).get()).to.deep.equal({ token: 't' });
    const seen = JSON.parse(readFileSync(path.join(dir, 'seen'), 'utf8')) as { args: string[]; env: Record<string, string> };
    expect(seen.args).to.deep.equal(['--cluster', 'prod']);
    expect([seen.env.AWS_PROFILE, seen.env.KEEP]).to.deep.equal(['dev', 'overridden']);
    expect(JSON.parse(seen.env.KUBERNETES_EXEC_INFO ?? '')).to.deep.equal({
      kind: 'ExecCredential',
      apiVersion: v1,
      spec: {
        interactive: false,
        cluster: { server: 'https://k:6443', 'tls-server-name': 'api.k', 'certificate-authority-data': Buffer.from('CA').toString('base64'), config: { audience: 'x' } },
      },
    });
  });

  it('without provideClusterInfo the plugin is told only that it may not prompt', async () => {
    const config = plugin(`fs.writeFileSync(${JSON.stringify(path.join(dir, 'seen'))}, process.env.KUBERNETES_EXEC_INFO);\n${printing({ token: 't' })}`);
    await source(config).get();
    expect(JSON.parse(readFileSync(path.join(dir, 'seen'), 'utf8'))).to.deep.equal({ kind: 'ExecCredential', apiVersion: v1, spec: { interactive: false } });
  });

  it('runs once for concurrent requests, keeps the credential until its expiry, then runs again', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const src = source(plugin(printing({ token: 't', expirationTimestamp: '2030-01-01T00:10:00Z' })), { now: () => now });
    const first = await Promise.all([src.get(), src.get(), src.get()]);
    expect(runs()).to.equal(1);
    expect(first[0]).to.equal(first[2]);
    now = Date.parse('2030-01-01T00:09:59Z');
    await src.get();
    expect(runs()).to.equal(1);
    now = Date.parse('2030-01-01T00:10:00Z');
    await src.get();
    expect(runs()).to.equal(2);
  });

  it('a refused credential is dropped, and only that one', async () => {
    const src = source(plugin(printing({ token: 't' })));
    const a = await src.get();
    src.invalidate({ token: 't' });
    expect(await src.get()).to.equal(a);
    src.invalidate(a);
    const b = await src.get();
    expect(b).to.not.equal(a);
    expect(runs()).to.equal(2);
    expect(src.runs).to.equal(2);
  });

  it('stderr goes to the log with the credential redacted', async () => {
    const body = `process.stderr.write('cached token s3cr3t-tok for you\\n');\n${printing({ token: 's3cr3t-tok' })}`;
    await source(plugin(body)).get();
    expect(logs).to.have.length(1);
    expect(logs[0]?.level).to.equal('info');
    expect(JSON.stringify(logs[0]?.obj)).to.contain('cached token [REDACTED] for you').and.not.contain('s3cr3t');
  });

  const failures: Array<{ name: string; config: () => ExecConfig; opts?: ExecCredentialOptions; code: string; message: RegExp; stderr?: RegExp }> = [
    {
      name: 'a nonzero exit: its stderr, redacted, to the log, not in the message',
      config: () => plugin(`process.stderr.write('login expired; old token eyJhbGciOiJ9.eyJzdWIiOiJ4In0.sig\\n'); process.exit(3);`),
      code: 'EXEC_PLUGIN_FAILED',
      message: /exited with code 3 \(its stderr is in the log\)$/,
      stderr: /login expired; old token \[REDACTED\]/,
    },
    {
      name: 'a command that does not exist: the install hint',
      config: () => ({ ...plugin(''), command: path.join(dir, 'nope'), installHint: 'install it with: brew install nope' }),
      code: 'EXEC_PLUGIN_NOT_FOUND',
      message: /command not found: install it with: brew install nope/,
    },
    {
      name: 'a plugin that does not finish in time is killed',
      config: () => plugin('setTimeout(() => {}, 60_000);'),
      opts: { timeoutMs: 300 },
      code: 'EXEC_PLUGIN_TIMEOUT',
      message: /did not finish within 300 ms/,
    },
    {
      name: 'a plugin printing without end is killed',
      config: () => plugin(`const chunk = 'x'.repeat(65536); const go = () => { while (process.stdout.write(chunk)); process.stdout.once('drain', go); }; go();`),
      opts: { maxStdoutBytes: 4096 },
      code: 'EXEC_PLUGIN_OUTPUT_TOO_LARGE',
      message: /printed more than 4096 bytes/,
    },
    {
      name: 'output that is no ExecCredential',
      config: () => plugin(`process.stdout.write('{"token":"s3cr3t"}');`),
      code: 'EXEC_PLUGIN_INVALID_OUTPUT',
      message: /is not an ExecCredential/,
    },
  ];
  for (const f of failures) {
    it(f.name, async () => {
      const src = source(f.config(), f.opts);
      const err = await failure(src.get());
      expect(err).to.be.instanceOf(ExecCredentialError);
      expect(err.code).to.equal(f.code);
      expect(err.message).to.match(f.message).and.not.contain('s3cr3t');
      expect(err.message).to.contain('of kubeconfig user "dev"');
      if (f.stderr) expect(JSON.stringify(logs.find((l) => l.level === 'warn')?.obj)).to.match(f.stderr);
      // A failure is not kept: the next request runs the plugin again.
      await failure(src.get());
      expect(src.runs).to.equal(2);
    });
  }
});
