// `npm run dev:up`: the demo environment in the background. Builds the control plane if it is
// missing, starts hack/dev-daemon.ts detached (it survives this process), waits until it has
// written .omkeys-dev/env.sh, and returns.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { alive, devPaths, isDevDaemon, readPid } from './dev-paths.ts';
import { controlPlaneBinDir, repoRoot } from './dev-env.ts';

const TIMEOUT_MS = Number(process.env.OMKEYS_DEV_UP_TIMEOUT_MS ?? 300_000);
const paths = devPaths();
const short = (p: string): string => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p));
const shown = short(paths.envSh);

function summary(): void {
  const vars = Object.fromEntries(
    [...readFileSync(paths.envSh, 'utf8').matchAll(/^export (\w+)='(.*)'$/gm)].map((m) => [m[1], m[2]]),
  ) as Record<string, string>;
  console.log(`
  control plane   KUBECONFIG=${vars.KUBECONFIG}
  simulator       ${vars.OMKEYS_SIM_URL} (org ${vars.OMKEYS_SIM_ORG_ID})
  operator        ${vars.OMKEYS_OPERATOR_HTTP}/healthz, pid in ${vars.OMKEYS_OPERATOR_PIDFILE}, log ${vars.OMKEYS_OPERATOR_LOG}

  . ${shown}
  "$OMKEYS_CP_BIN/kubectl" get omkey,pkb -A
  npm run dev:down                 # stops it all and removes ${short(paths.dir)}/
`);
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntilReady(pid: number): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  let shownLines = 0;
  while (!existsSync(paths.envSh)) {
    // Relay the background process's progress lines.
    const lines = tail(paths.daemonLog, 1000).split('\n').filter((l) => l && l !== '(no log)');
    for (const l of lines.slice(shownLines)) console.log(`  ${l}`);
    shownLines = Math.max(shownLines, lines.length);
    if (!alive(pid)) {
      console.error(`dev:up: the environment failed to start; end of ${paths.daemonLog}:\n${tail(paths.daemonLog)}`);
      rmSync(paths.dir, { recursive: true, force: true });
      process.exit(1);
    }
    if (Date.now() > deadline) {
      console.error(`dev:up: not ready after ${TIMEOUT_MS / 1000} s; it is still starting (pid ${pid}); see ${paths.daemonLog}, or npm run dev:down`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const running = readPid(paths.daemonPid);
if (running !== undefined && isDevDaemon(running)) {
  if (!existsSync(paths.envSh)) {
    console.log(`dev:up: already starting (pid ${running}); waiting`);
    await waitUntilReady(running);
  } else {
    console.log(`dev:up: already up (pid ${running})`);
  }
  summary();
  process.exit(0);
}
if (existsSync(paths.dir)) {
  console.log(`dev:up: removing the leftovers of an environment that is no longer running (${paths.dir})`);
  rmSync(paths.dir, { recursive: true, force: true });
}

const binDir = await controlPlaneBinDir();
mkdirSync(paths.dir, { recursive: true });
const logFd = openSync(paths.daemonLog, 'a');
// detached: its own session and process group, so it outlives npm and dev:down can signal
// the whole group; no pipes to this process, so `npm run dev:up | …` returns.
const daemon = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'hack', 'dev-daemon.ts')], {
  cwd: repoRoot,
  detached: true,
  stdio: ['ignore', logFd, logFd],
  env: { ...process.env, OMKEYS_CP_BIN: binDir, OMKEYS_DEV_DIR: paths.dir },
});
closeSync(logFd);
if (daemon.pid === undefined) {
  console.error('dev:up: could not start the background process');
  process.exit(1);
}
writeFileSync(paths.daemonPid, `${daemon.pid}\n`);
daemon.unref();
console.log(`dev:up: starting in the background (pid ${daemon.pid}, log ${paths.daemonLog})`);
await waitUntilReady(daemon.pid);
console.log('dev:up: ready');
summary();
