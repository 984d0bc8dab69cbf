import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../support/operator-process.ts';
import { logStarted, logStopped, runLogPath } from '../../envtest/run-logs.ts';

// `make chaos ARGS=--short`, as make test runs it: its own control plane, simulator and
// compiled operator, a few kills and faults of every scenario, invariants checked after each.
describe('chaos: the short run (make chaos ARGS=--short)', () => {
  // The run bounds its own time (it reports a violation when it has to stop itself), so this
  // test asserts no wall time of its own: the machine may be busy with other work.
  it('ends with 0 violations', async function () {
    this.timeout(300_000);
    const log = runLogPath('chaos-short');
    logStarted(log);
    const code = await new Promise<number | null>((resolve, reject) => {
      // The run's output goes to a file, like the other processes of the test run; it is named if this test fails.
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench', 'chaos', 'run.ts'), '--short'], {
        cwd: repoRoot,
        env: { ...process.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => appendFileSync(log, c));
      child.stderr.on('data', (c: Buffer) => appendFileSync(log, c));
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    logStopped(log);
    const out = readFileSync(log, 'utf8');
    const lines = out.trimEnd().split('\n');
    const last = lines[lines.length - 1] ?? '';
    const violations = lines.filter((l) => l.startsWith('  [')).join('\n');
    expect(last, `the last line (output in ${log})`).to.match(/^chaos: \d+ events, \d+ kills, \d+ faults, \d+ violations$/);
    expect(last, `violations:\n${violations}`).to.match(/, 0 violations$/);
    expect(code).to.equal(0);
  });
});
