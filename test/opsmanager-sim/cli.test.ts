import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../tools/opsmanager-sim/sim-client.ts';

interface Banner { url: string; orgId: string; projectIds: string[]; adminPublicKey: string; adminPrivateKey: string }

describe('opsmanager-sim: command line (main.ts)', function () {
  // Generous: a process started with tsx on a busy machine takes seconds to start and to stop.
  this.timeout(60000);
  let child: ChildProcess | undefined;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'om-sim-cli-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const c = child;
      c.kill('SIGTERM');
      // A process killed by the signal (not exiting) has exitCode null and signalCode set.
      await waitFor(() => c.exitCode !== null || c.signalCode !== null, 25000);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(args: string[]): Promise<{ banner: Banner; lines: string[] }> {
    const c = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../tools/opsmanager-sim/main.ts', import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = c;
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('\n'), 20000);
    const lines = out.split('\n').filter((l) => l !== '');
    return { banner: JSON.parse(lines[0]!) as Banner, lines };
  }

  it('prints one JSON line with url, ids and the admin pair, and stops on SIGTERM', async () => {
    const { banner, lines } = await start(['--admin']);
    expect(lines).to.have.length(1);
    expect(Object.keys(banner)).to.deep.equal(['url', 'orgId', 'projectIds', 'adminPublicKey', 'adminPrivateKey']);
    expect(banner.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner.projectIds.length).to.be.at.least(3);
    const res = await fetch(`${banner.url}/__sim/state`);
    expect(res.status).to.equal(200);
    const c = child!;
    c.kill('SIGTERM');
    await waitFor(() => c.exitCode !== null, 10000);
    expect(c.exitCode).to.equal(0);
  });

  it('serves HTTPS with --tls-cert/--tls-key and keeps --state across restarts', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const state = join(dir, 'state.json');
    const { banner } = await start(['--tls-cert', cert, '--tls-key', key, '--state', state]);
    expect(banner.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`${banner.url}/api/public/v1.0/orgs/${banner.orgId}/apiKeys`, { ca: readFileSync(cert) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(401);
    const c = child!;
    c.kill('SIGINT');
    await waitFor(() => c.exitCode !== null, 10000);
    const again = await start(['--state', state]);
    expect(again.banner.orgId).to.equal(banner.orgId);
    expect(again.banner.adminPrivateKey).to.equal(banner.adminPrivateKey);
  });
});
