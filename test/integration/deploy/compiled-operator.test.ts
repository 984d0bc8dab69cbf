import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { testEnv } from '../../../tools/envtest/env.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { compileOperator, repoRoot, type CompiledOperator } from '../../deploy/compiled.ts';
import { Kube } from '../support/kube.ts';
import { OperatorProcess } from '../support/operator-process.ts';
import { digestGet } from '../support/digest-probe.ts';

describe('deploy: the compiled operator (node dist/main.js) with the RBAC of deploy/rbac.yaml', () => {
  let compiled: CompiledOperator | undefined;
  let sim: SimHandle | undefined;
  let op: OperatorProcess | undefined;

  before(async function () {
    this.timeout(240_000);
    compiled = await compileOperator();
    sim = await startSimulator({ admin: true });
    // As in the image: WORKDIR /app, CMD ["node", "dist/main.js"].
    op = await OperatorProcess.start(testEnv(), sim, { command: { file: process.execPath, args: ['dist/main.js'], cwd: compiled.root } });
  });

  after(async function () {
    this.timeout(60_000);
    await op?.stop();
    await sim?.close();
    compiled?.remove();
  });

  it('is the compiled build that runs, and it leads', async () => {
    const starting = op!.logText().split('\n').filter((l) => l.includes('"omkeys starting"'));
    expect(starting).to.have.length(1);
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(starting[0]!)).to.include({ version, leaderElection: true });
    expect((await fetch(`${op!.httpUrl}/readyz`)).status).to.equal(200);
    expect(await (await fetch(`${op!.httpUrl}/metrics`)).text()).to.match(/^omkeys_leader 1$/m);
  });

  it('makes an OpsManagerApiKey Ready with a Secret whose pair authenticates', async () => {
    const env = testEnv();
    const kube = new Kube(env);
    const ns = await env.newNamespace('compiled-op');
    await kube.createKey(ns, 'compiled', { orgId: sim!.orgId, roles: ['ORG_READ_ONLY'] });
    const ready = await kube.waitForReady(ns, 'compiled', 60_000);
    const data = await kube.secretData(ns, 'compiled');
    expect(data?.keyId).to.equal(ready.status?.keyId);
    expect(sim!.state.apiKeys.get(data!.keyId!)?.desc).to.equal(`${ns}/compiled`);
    const res = await digestGet(`${sim!.url}/api/public/v1.0/orgs/${sim!.orgId}/apiKeys/${data!.keyId}`, data!.publicKey!, data!.privateKey!);
    expect(res.status).to.equal(200);
    expect(op!.logText()).not.to.include(data!.privateKey!);
  });
});
