import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where the processes of one integration run (etcd, kube-apiserver, kube-controller-manager,
 * every operator process) write their stdout and stderr. Their lines would bury mocha's
 * results, so nothing of them is printed: a failing test prints the paths of the logs that
 * were being written while it ran, and the directory is kept when the run fails.
 */
let dir: string | undefined;

/** `$OMKEYS_TEST_LOG_DIR` or `$TMPDIR/omkeys-test-logs`, then one directory per run. */
export function runLogDir(): string {
  if (dir === undefined) {
    const root = process.env.OMKEYS_TEST_LOG_DIR ?? path.join(os.tmpdir(), 'omkeys-test-logs');
    const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
    dir = path.join(root, runId);
    mkdirSync(dir, { recursive: true });
  }
  return dir;
}

let seq = 0;

/** A unique file name under the run's directory, e.g. `operator-3.log`. */
export function runLogPath(prefix: string): string {
  seq += 1;
  return path.join(runLogDir(), `${prefix}-${seq}.log`);
}

interface Entry { running: boolean; lastWriteAt: number }
const entries = new Map<string, Entry>();

/** A process has started writing to `file` (again, after a restart: the file is appended to). */
export function logStarted(file: string): void {
  entries.set(file, { running: true, lastWriteAt: Date.now() });
}

/** The process writing to `file` has exited. */
export function logStopped(file: string): void {
  const e = entries.get(file);
  if (e) entries.set(file, { running: false, lastWriteAt: Date.now() });
}

/** The logs some process wrote to at or after `sinceMs`: the ones worth reading after a failure. */
export function logsWrittenSince(sinceMs: number): string[] {
  return [...entries].filter(([, e]) => e.running || e.lastWriteAt >= sinceMs).map(([file]) => file);
}

/** The part of mocha's Suite read at exit (hook lists have no typed accessor). */
interface RunTree {
  tests: Array<{ state?: string }>;
  suites: RunTree[];
  getHooks?: (name: string) => Array<{ state?: string }> | undefined;
}

function anyFailed(suite: RunTree): boolean {
  const hooks = ['beforeAll', 'beforeEach', 'afterEach', 'afterAll'].flatMap((h) => suite.getHooks?.(h) ?? []);
  return [...suite.tests, ...hooks].some((r) => r.state === 'failed') || suite.suites.some(anyFailed);
}

/**
 * For the mocha run (the bench keeps its logs, as it prints their paths): at exit a passing run
 * leaves nothing behind (unless OMKEYS_KEEP_LOGS=1); a failing one keeps the directory and names
 * it last, below mocha's summary. Failures are read from the suite tree, failed hooks included:
 * mocha sets the exit code in an exit listener of its own, which runs after this one.
 */
export function keepLogsOnlyOnFailure(root: RunTree): void {
  process.once('exit', () => {
    if (dir === undefined) return;
    if (!anyFailed(root) && process.env.OMKEYS_KEEP_LOGS !== '1') {
      rmSync(dir, { recursive: true, force: true });
    } else {
      process.stderr.write(`\n  logs of the control plane and the operator processes: ${dir}\n`);
    }
  });
}
