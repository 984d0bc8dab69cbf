// `npm run dev:down`: stops what `npm run dev:up` started and removes .omkeys-dev/.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { alive, devPaths, isDevDaemon, readPid } from './dev-paths.ts';

const GRACE_MS = 30_000;
const paths = devPaths();

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Signals a process group; false when no process is left in it. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGone(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

if (!existsSync(paths.dir)) {
  console.log(`dev:down: nothing to stop (${paths.dir} does not exist)`);
  process.exit(0);
}
const pgid = readPid(paths.daemonPid);
if (pgid !== undefined && isDevDaemon(pgid)) {
  // The background process stops the operator, the simulator and the control plane in order.
  process.kill(pgid, 'SIGTERM');
  if (!(await waitGone(() => alive(pgid), GRACE_MS))) console.log(`dev:down: pid ${pgid} did not stop within ${GRACE_MS / 1000} s; killing`);
}
// Whatever is left in the group (a crashed background process leaves its children) goes too.
// Linux never hands out a pid that is still some group's id: with the daemon gone, a live group
// is what it left; a live pid that is not the daemon belongs to someone else and is left alone.
const operatorPid = readPid(`${paths.dir}/operator.pid`);
if (pgid !== undefined && (isDevDaemon(pgid) || !alive(pgid)) && signalGroup(pgid, 0)) {
  signalGroup(pgid, 'SIGKILL');
  await waitGone(() => signalGroup(pgid, 0), 10_000);
}
if (operatorPid !== undefined && alive(operatorPid) && readCmdline(operatorPid).includes('src/main.ts')) process.kill(operatorPid, 'SIGKILL');
rmSync(paths.dir, { recursive: true, force: true });
console.log(`dev:down: stopped; removed ${paths.dir}`);
