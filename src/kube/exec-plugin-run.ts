import { spawn } from 'node:child_process';

export type ExecErrorCode =
  | 'EXEC_PLUGIN_NOT_FOUND'
  | 'EXEC_PLUGIN_FAILED'
  | 'EXEC_PLUGIN_TIMEOUT'
  | 'EXEC_PLUGIN_OUTPUT_TOO_LARGE'
  | 'EXEC_PLUGIN_INVALID_OUTPUT';

/**
 * An exec credential plugin that gave no usable credential. Its message never quotes the
 * plugin's output (it may hold a credential); its stderr is logged apart, redacted.
 */
export class ExecCredentialError extends Error {
  constructor(
    readonly code: ExecErrorCode,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ExecCredentialError';
  }
}

export interface PluginRun {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  timeoutMs: number;
  maxStdoutBytes: number;
  /** stderr beyond this is dropped (a plugin's chatter is not worth the memory). */
  maxStderrBytes: number;
  /** For messages: `exec plugin "aws" of user "eks"`. */
  label: string;
  installHint?: string;
}

export interface PluginOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs the plugin once: no stdin (the operator never prompts), stdout bounded in size, the
 * whole run bounded in time (a plugin that waits for a browser login would otherwise hold every
 * request). A nonzero exit rejects with its stderr attached for the caller to log.
 */
export function runPlugin(run: PluginRun): Promise<PluginOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, { env: run.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const stderr = (): string => Buffer.concat(err).toString('utf8');
    const finish = (e: ExecCredentialError | undefined, result?: PluginOutput): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) {
        child.kill('SIGKILL');
        reject(Object.assign(e, { stderr: stderr() }));
      } else if (result) {
        resolve(result);
      }
    };
    const timer = setTimeout(() => {
      finish(new ExecCredentialError('EXEC_PLUGIN_TIMEOUT', `${run.label} did not finish within ${run.timeoutMs} ms`));
    }, run.timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > run.maxStdoutBytes) {
        const why = `${run.label} printed more than ${run.maxStdoutBytes} bytes`;
        finish(new ExecCredentialError('EXEC_PLUGIN_OUTPUT_TOO_LARGE', why));
      } else {
        out.push(c);
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      if (errBytes < run.maxStderrBytes) err.push(c.subarray(0, run.maxStderrBytes - errBytes));
      errBytes += c.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const hint = run.installHint ? `: ${run.installHint}` : '';
      const code = e.code === 'ENOENT' ? 'EXEC_PLUGIN_NOT_FOUND' : 'EXEC_PLUGIN_FAILED';
      const what = e.code === 'ENOENT' ? `${run.label}: command not found${hint}` : `${run.label} could not be started`;
      finish(new ExecCredentialError(code, what, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return finish(undefined, { stdout: Buffer.concat(out).toString('utf8'), stderr: stderr() });
      const how = signal ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
      finish(new ExecCredentialError('EXEC_PLUGIN_FAILED', `${run.label} ${how} (its stderr is in the log)`));
    });
  });
}

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const ASSIGNED = /\b(bearer\s+|(?:token|password|secret)["']?\s*[:=]\s*["']?)[^\s"',]+/gi;
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
/** Long runs of token alphabet (base64url, hex): an AWS presigned token, an OAuth access token. */
const OPAQUE = /[A-Za-z0-9_\-+=]{32,}/g;

/**
 * A plugin's stderr made fit for the log: the credentials it returned and anything shaped like
 * a credential (a private key, a JWT, a long opaque string, `token: x`) replaced by [REDACTED].
 */
export function redactSecrets(text: string, known: readonly string[]): string {
  let t = text;
  for (const s of known) if (s.length >= 4) t = t.split(s).join('[REDACTED]');
  return t
    .replace(PRIVATE_KEY, '[REDACTED]')
    .replace(JWT, '[REDACTED]')
    .replace(ASSIGNED, (_m, lead: string) => `${lead}[REDACTED]`)
    .replace(OPAQUE, '[REDACTED]');
}
