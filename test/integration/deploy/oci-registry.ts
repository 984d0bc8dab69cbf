// The in-memory OCI registry of hack/oci-registry (go-containerregistry's pkg/registry) on a free
// loopback port, plain HTTP: what `helm push` and `helm install oci://` talk to in the chart tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { toolBin } from '../../deploy/tool-bins.ts';

export class OciRegistry {
  private constructor(
    private readonly child: ChildProcess,
    readonly host: string,
  ) {}

  /** Starts the registry and resolves once it listens (it prints its port first). */
  static async start(timeoutMs = 30_000): Promise<OciRegistry> {
    // Its standard input stays open while this process lives: if the test run dies, it stops too.
    const child = spawn(toolBin('oci-registry'), ['--quiet', '--exit-on-stdin-close'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const onExit = (code: number | null): void =>
        fail(new Error(`oci-registry exited (${code}) before listening: ${stderr}`));
      const settle = (): void => {
        clearTimeout(timer);
        child.off('exit', onExit).off('error', fail);
      };
      const fail = (err: Error): void => {
        settle();
        child.kill('SIGKILL');
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`oci-registry printed no port in ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const line = /^(\d+)\n/.exec(out);
        if (!line) return;
        settle();
        resolve(Number(line[1]));
      });
      child.once('exit', onExit).once('error', fail);
    });
    return new OciRegistry(child, `127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}
