import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { repoRoot } from '../support/operator-process.ts';

interface RunResult {
  code: number | null;
  out: string;
}

/** Runs a command to its end (stdout and stderr together), with a hard limit so a hang fails the test. */
function run(cmd: string, args: string[], env: Record<string, string>, input?: string, timeoutMs = 300_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    child.stdin.end(input ?? '');
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Any process left in the group led by `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('dev environment (npm run dev:up / dev:down)', function () {
  this.timeout(600_000);
  const base = mkdtempSync(path.join(os.tmpdir(), 'omkeys-devtest-'));
  const devDir = path.join(base, 'omkeys-dev');
  const env = { OMKEYS_DEV_DIR: devDir, OMKEYS_CP_BIN: process.env.OMKEYS_CP_BIN ?? '' };
  // `. env.sh` in a real shell, then the command: what a person or a script does.
  const sh = (script: string, input?: string): Promise<RunResult> => run('bash', ['-c', `set -e; . "${devDir}/env.sh"; ${script}`], env, input);

  after(async function () {
    if (existsSync(devDir)) await run('npm', ['run', '--silent', 'dev:down'], env);
    rmSync(base, { recursive: true, force: true });
  });

  it('starts everything in the background, restarts a killed operator, and stops it all', async () => {
    const up = await run('npm', ['run', 'dev:up'], env);
    expect(up.code, up.out).to.equal(0);
    expect(readFileSync(path.join(devDir, 'env.sh'), 'utf8')).to.match(/^export OMKEYS_OPERATOR_HTTP='http:\/\/127\.0\.0\.1:\d+'$/m);
    const vars = await sh('env | grep -E "^(KUBECONFIG|OMKEYS_)"');
    for (const name of ['KUBECONFIG', 'OMKEYS_SIM_URL', 'OMKEYS_SIM_ORG_ID', 'OMKEYS_SIM_PROJECT_IDS', 'OMKEYS_SIM_ADMIN_PUBLIC_KEY',
      'OMKEYS_SIM_ADMIN_PRIVATE_KEY', 'OMKEYS_OPERATOR_PIDFILE', 'OMKEYS_OPERATOR_LOG', 'OMKEYS_OPERATOR_HTTP']) {
      expect(vars.out, name).to.match(new RegExp(`^${name}=.+$`, 'm'));
    }
    expect(vars.out).to.match(/^OMKEYS_SIM_PROJECT_IDS=[0-9a-f]{24}(,[0-9a-f]{24})+$/m);
    const get = (name: string): string => new RegExp(`^${name}=(.*)$`, 'm').exec(vars.out)?.[1] ?? '';

    // A second dev:up notices the running environment instead of starting another.
    const again = await run('npm', ['run', 'dev:up'], env);
    expect(again.code, again.out).to.equal(0);
    expect(again.out).to.include('already up');

    // The built kubectl, through env.sh's KUBECONFIG, lists omkeys; the operator makes one Ready.
    const manifest = readFileSync(path.join(repoRoot, 'examples', 'project-key.yaml'), 'utf8')
      .replace('${OMKEYS_SIM_PROJECT_ID_0}', get('OMKEYS_SIM_PROJECT_IDS').split(',')[0] ?? '');
    const applied = await sh('"$OMKEYS_CP_BIN/kubectl" apply -n default -f -', manifest);
    expect(applied.code, applied.out).to.equal(0);
    await waitFor('backup-agent Ready', async () => {
      const r = await sh('"$OMKEYS_CP_BIN/kubectl" get omkey -A -o jsonpath=\'{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}\'');
      return r.code === 0 && r.out.includes('backup-agent=True');
    }, 120_000, 500);

    // The contract (../shared/DESIGN.md): in any new namespace, a key with only orgId and roles
    // works without naming a connection (the dev environment's default connection serves all).
    const created = await sh('"$OMKEYS_CP_BIN/kubectl" create namespace team-new');
    expect(created.code, created.out).to.equal(0);
    const bare = `apiVersion: omkeys.io/v1alpha1\nkind: OpsManagerApiKey\nmetadata: {name: bare}\nspec: {orgId: "${get('OMKEYS_SIM_ORG_ID')}", roles: [ORG_OWNER]}\n`;
    const appliedBare = await sh('"$OMKEYS_CP_BIN/kubectl" apply -n team-new -f -', bare);
    expect(appliedBare.code, appliedBare.out).to.equal(0);
    await waitFor('bare key Ready in a new namespace', async () => {
      const r = await sh('"$OMKEYS_CP_BIN/kubectl" get omkey bare -n team-new -o jsonpath=\'{.status.conditions[?(@.type=="Ready")].status}\'');
      return r.code === 0 && r.out.trim() === 'True';
    }, 120_000, 500);

    const http = get('OMKEYS_OPERATOR_HTTP');
    const health = await fetch(`${http}/healthz`);
    expect(health.status).to.equal(200);

    // Killed like a crashed container: the supervisor starts a new one, which answers again.
    const pidFile = get('OMKEYS_OPERATOR_PIDFILE');
    const first = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(first)).to.equal(true);
    process.kill(first, 'SIGKILL');
    const second = await waitFor('a new operator pid', () => {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      return Promise.resolve(pid > 0 && pid !== first && alive(pid) ? pid : undefined);
    }, 30_000, 100);
    await waitFor('the new operator to answer /healthz', async () => (await fetch(`${http}/healthz`)).status === 200, 60_000, 250);
    expect(readFileSync(get('OMKEYS_OPERATOR_LOG'), 'utf8')).to.include('operator exited (SIGKILL)');

    const pgid = Number(readFileSync(path.join(devDir, 'dev-env.pid'), 'utf8'));
    expect(groupAlive(pgid)).to.equal(true);
    const down = await run('npm', ['run', 'dev:down'], env);
    expect(down.code, down.out).to.equal(0);
    expect(existsSync(devDir)).to.equal(false);
    expect(groupAlive(pgid), 'processes left in the dev environment group').to.equal(false);
    expect(alive(second)).to.equal(false);
  });
});

describe('make demo ARGS=--once (hack/demo.ts --once)', function () {
  this.timeout(600_000);

  it('exits 0 once the examples are Ready and shows the Secret with its private key redacted', async () => {
    const res = await run(process.execPath, ['--import', 'tsx', 'hack/demo.ts', '--once'], { OMKEYS_CP_BIN: process.env.OMKEYS_CP_BIN ?? '' });
    expect(res.code, res.out).to.equal(0);
    expect(res.out).to.match(/omkey\/billing-reader\s+True/);
    expect(res.out).to.match(/omkey\/backup-agent\s+True/);
    expect(res.out).to.match(/omkey\/mongocli\s+True/);
    expect(res.out).to.match(/pkb\/mongocli-project-1\s+True/);
    expect(res.out).to.match(/^\s+privateKey\s+[0-9a-f]{4}\*{4}\s+\(redacted; 36 characters\)$/m);
    expect(res.out).to.match(/^\s+publicKey\s+[a-z]{8}$/m);
    expect(res.out).to.match(/GET \/api\/public\/v1\.0\/orgs\/[0-9a-f]{24}\/apiKeys\/[0-9a-f]{24} -> 200/);
    expect(res.out).to.include('get omkey,pkb -A');
    // Private keys (the simulator's are UUIDs) never appear whole: neither the key's nor the admin's.
    expect(res.out).not.to.match(UUID);
  });
});
