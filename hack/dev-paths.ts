import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DevPaths {
  /** `.omkeys-dev/` in the clone, or OMKEYS_DEV_DIR (tests use their own). */
  dir: string;
  envSh: string;
  /** pid of the background process; it leads the process group everything else runs in. */
  daemonPid: string;
  /** What the background process says (progress, failures). */
  daemonLog: string;
}

export function devPaths(env: Record<string, string | undefined> = process.env): DevPaths {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.resolve(env.OMKEYS_DEV_DIR ?? path.join(root, '.omkeys-dev'));
  return {
    dir,
    envSh: path.join(dir, 'env.sh'),
    daemonPid: path.join(dir, 'dev-env.pid'),
    daemonLog: path.join(dir, 'dev-env.log'),
  };
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` runs hack/dev-daemon.ts: a pid file can outlive its process (a reboot), and
 * its number may since belong to something else that must not be signalled.
 */
export function isDevDaemon(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dev-daemon');
  } catch {
    return !existsSync('/proc'); // no procfs (macOS): trust the pid file
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
