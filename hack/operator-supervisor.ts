import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SupervisorOptions {
  repoRoot: string;
  /** Environment of each start; called before every start so credentials can be refreshed. */
  env: () => Promise<Record<string, string>>;
  /** Holds the pid of the operator that runs now. */
  pidFile: string;
  /** The operator's stdout and stderr, appended across restarts. */
  logPath: string;
  /** Delay before a restart after a run that lasted; doubles (to 10 s) while runs stay short. */
  restartDelayMs?: number;
  /**
   * Ceiling of that doubling (default 10 s). The chaos run kills the operator every few seconds
   * on purpose, each kill one crash of an otherwise healthy pod, and wants it back within a
   * second each time rather than in crash-loop backoff.
   */
  maxRestartDelayMs?: number;
  /** Run this instead of `node --import tsx src/main.ts`, e.g. the compiled `node dist/main.js` of the image. */
  command?: { file: string; args: string[]; cwd?: string };
}

const STABLE_RUN_MS = 10_000;
const MAX_DELAY_MS = 10_000;

/**
 * Runs the operator (`node --import tsx src/main.ts`, or `command`) and starts it again when it
 * dies, as a kubelet restarts a crashed container: quickly after a crash, backing off while it
 * crash-loops.
 */
export class OperatorSupervisor {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private quickExits = 0;
  private timer: NodeJS.Timeout | undefined;
  restarts = 0;

  // The operator must not outlive this process, even when it ends abruptly.
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(private readonly opts: SupervisorOptions) {
    process.once('exit', this.killOnExit);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.stopping) return;
    const env = await this.opts.env();
    if (this.stopping) return;
    // Direct fds rather than pipes: the log stays complete even while this process is busy.
    const fd = openSync(this.opts.logPath, 'a');
    let child: ChildProcess;
    try {
      const cmd = this.opts.command ?? { file: process.execPath, args: ['--import', 'tsx', path.join(this.opts.repoRoot, 'src', 'main.ts')] };
      child = spawn(cmd.file, cmd.args, {
        cwd: cmd.cwd ?? this.opts.repoRoot,
        env,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const startedAt = Date.now();
    this.child = child;
    if (child.pid !== undefined) writeFileSync(this.opts.pidFile, `${child.pid}\n`);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        this.onExit(code, signal, Date.now() - startedAt);
      });
    });
    child.once('error', (err) => this.note(`could not start the operator: ${err.message}`));
  }

  /** Stops the operator for good (SIGTERM, then SIGKILL after `graceMs`) and removes the pid file. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(kill);
    }
    rmSync(this.opts.pidFile, { force: true });
    process.removeListener('exit', this.killOnExit);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    if (this.stopping) return;
    this.quickExits = ranMs >= STABLE_RUN_MS ? 0 : this.quickExits + 1;
    const base = this.opts.restartDelayMs ?? 500;
    const delay = Math.min(base * 2 ** Math.max(0, this.quickExits - 1), this.opts.maxRestartDelayMs ?? MAX_DELAY_MS);
    this.note(`operator exited (${signal ?? `code ${code}`}) after ${ranMs} ms; starting it again in ${delay} ms`);
    this.timer = setTimeout(() => {
      // Checked again here: a Ctrl-C reaches the operator and this process at the same moment.
      if (this.stopping) return;
      this.restarts++;
      this.start().catch((err: unknown) => {
        this.note(`restart failed: ${err instanceof Error ? err.message : String(err)}`);
        this.onExit(null, null, 0);
      });
    }, delay);
  }

  /** A JSON line in the operator's log, so one file tells the whole story. */
  private note(msg: string): void {
    appendFileSync(this.opts.logPath, `${JSON.stringify({ level: 40, time: Date.now(), name: 'dev-supervisor', msg })}\n`);
  }
}
