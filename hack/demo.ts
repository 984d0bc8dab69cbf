// `make demo [ARGS=--once]`: control plane + Ops Manager simulator + operator in the foreground,
// the examples applied, the resulting Secret shown (private key redacted). Ctrl-C stops it all;
// --once exits as soon as the examples are Ready (non-zero if they are not in time).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubernetesObjectApi, loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { digestGet } from '../test/integration/support/digest-probe.ts';
import { connectionReady } from '../test/integration/support/connections.ts';
import { DEV_CONNECTION, controlPlaneBinDir, repoRoot, startDevEnv, type DevEnv } from './dev-env.ts';
import { describeState, isReady, readState, resourceTable, secretReport, type DemoResource, type ResourceState } from './demo-report.ts';

const NAMESPACE = 'omkeys-demo';
const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, timeout: { type: 'string', default: '180' } } });
const timeoutMs = Number(values.timeout) * 1000;
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
  console.error(`demo: --timeout takes seconds, got "${values.timeout}"`);
  process.exit(2);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-demo-'));
const say = (msg: string): void => console.log(`demo: ${msg}`);
let env: DevEnv | undefined;
let stopping: Promise<never> | undefined;

function finish(code: number, interrupted = false): Promise<never> {
  stopping ??= (async () => {
    say('stopping the operator, the simulator and the control plane');
    // After a Ctrl-C every process got SIGINT at once and the API server is already going
    // away, so the operator cannot hand its Lease back: do not wait long for it.
    await env?.stop({ operatorGraceMs: interrupted ? 2000 : 10_000 });
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void finish(0, true));
process.on('SIGTERM', () => void finish(0, true));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const binDir = await controlPlaneBinDir();
  env = await startDevEnv({ dir, binDir, progress: say });
  const { kc, sim, vars } = env;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });

  const substitute = {
    OMKEYS_SIM_ORG_ID: sim.orgId,
    OMKEYS_SIM_PROJECT_ID_0: sim.projectIds[0] ?? '',
    OMKEYS_SIM_PROJECT_ID_1: sim.projectIds[1] ?? '',
  };
  const resources: DemoResource[] = [];
  const examplesDir = path.join(repoRoot, 'examples');
  for (const file of readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort()) {
    const objs = await applyFileIn(kc, path.join(examplesDir, file), substitute);
    for (const o of objs) resources.push({ kind: o.kind as DemoResource['kind'], name: o.metadata?.name ?? '', namespace: NAMESPACE });
    say(`applied examples/${file}: ${objs.map((o) => `${o.kind}/${o.metadata?.name ?? ''}`).join(', ')}`);
  }

  say(`waiting (up to ${timeoutMs / 1000} s) for the examples to be Ready`);
  const deadline = Date.now() + timeoutMs;
  let states: Array<ResourceState | undefined> = [];
  for (;;) {
    states = await Promise.all(resources.map((r) => readState(kc, r)));
    if (states.every((s) => isReady(s))) break;
    if (Date.now() > deadline) {
      console.error(`demo: not Ready after ${timeoutMs / 1000} s:`);
      resources.forEach((r, i) => console.error(`  ${describeState(r, states[i])}`));
      console.error(`end of the operator log (${vars.OMKEYS_OPERATOR_LOG}):\n${tailOf(vars.OMKEYS_OPERATOR_LOG, 30)}`);
      await finish(1);
    }
    await sleep(500);
  }

  console.log(`\nEverything is Ready in namespace ${NAMESPACE}:\n`);
  console.log(resourceTable(states.filter((s): s is ResourceState => s !== undefined)));
  // The keys named no connection: the dev environment's cluster connection marked default served them.
  const connection = await connectionReady(kc, DEV_CONNECTION);
  say(`through ClusterOpsManagerConnection/${DEV_CONNECTION} (default: true, serving every namespace): Ready=${connection?.status ?? '?'}, ${connection?.message ?? ''}`);

  const billing = states.find((s) => s?.resource.name === 'billing-reader');
  const secretName = billing?.secretName ?? 'billing-reader-om';
  const secret = await secretReport(kc, NAMESPACE, secretName);
  console.log(`\nThe Secret the operator wrote for OpsManagerApiKey/billing-reader:\n\n${secret.text}`);
  // The key reads itself: proof that the pair in the Secret is a working Ops Manager credential.
  const probePath = `/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${secret.keyId}`;
  const probe = await digestGet(`${sim.url}${probePath}`, secret.publicKey, secret.privateKey);
  console.log(`\n  The pair authenticates against the simulator (HTTP Digest): GET ${probePath} -> ${probe.status}`);

  const kubectl = '"$K"';
  console.log(`
Poke at it (in another terminal):

  export KUBECONFIG=${vars.KUBECONFIG}
  K=${path.join(binDir, 'kubectl')}
  ${kubectl} get omkey,pkb -A
  ${kubectl} get comc   # the connection the keys went through, and its policy (-o yaml)
  ${kubectl} describe omkey billing-reader -n ${NAMESPACE}
  ${kubectl} get secret ${secretName} -n ${NAMESPACE} -o yaml
  ${kubectl} get events -n ${NAMESPACE}
  ${kubectl} delete omkey backup-agent -n ${NAMESPACE}   # the operator deletes the key in Ops Manager
  curl -s ${sim.url}/__sim/state   # what the simulated Ops Manager holds (no private keys)
  curl -s ${vars.OMKEYS_OPERATOR_HTTP}/metrics
  tail -f ${vars.OMKEYS_OPERATOR_LOG}
`);
  if (probe.status !== 200) {
    console.error(`demo: the Secret's key pair was refused by the simulator (HTTP ${probe.status})`);
    await finish(1);
  }
  if (values.once) {
    say('--once: the examples are Ready');
    await finish(0);
  }
  say('running; Ctrl-C stops everything');
}

/** The examples carry no namespace: give them the demo's. */
async function applyFileIn(kc: DevEnv['kc'], file: string, substitute: Record<string, string>): Promise<KubernetesObject[]> {
  let text = readFileSync(file, 'utf8');
  for (const [k, v] of Object.entries(substitute)) text = text.replaceAll(`\${${k}}`, v);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const out: KubernetesObject[] = [];
  for (const obj of (loadAllYaml(text) as Array<KubernetesObject | null>).filter((o): o is KubernetesObject => !!o?.kind)) {
    out.push(await api.create({ ...obj, metadata: { ...obj.metadata, namespace: NAMESPACE } }));
  }
  return out;
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

main().catch(async (err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  await finish(1);
});
