// The background process behind `npm run dev:up` (started detached, in its own process group).
// It owns the control plane, the simulator and the operator's supervisor, writes env.sh once
// all is ready, and takes everything down on SIGTERM/SIGINT (`npm run dev:down`).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { devPaths } from './dev-paths.ts';
import { controlPlaneBinDir, renderEnvSh, startDevEnv, type DevEnv } from './dev-env.ts';

const paths = devPaths();
const stamp = (msg: string): void => console.log(`${new Date().toISOString()} ${msg}`);

let env: DevEnv | undefined;
let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  stamp(`${signal}: stopping`);
  rmSync(paths.envSh, { force: true });
  void (env?.stop() ?? Promise.resolve()).then(() => {
    stamp('stopped');
    process.exit(0);
  });
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGHUP', () => undefined); // a closed terminal must not take the environment down

try {
  const binDir = await controlPlaneBinDir();
  env = await startDevEnv({ dir: paths.dir, binDir, progress: stamp });
  if (stopping) {
    await env.stop();
  } else {
    // Written last and atomically: its existence is what `dev:up` waits for.
    writeFileSync(`${paths.envSh}.tmp`, renderEnvSh(env.vars), { mode: 0o600 });
    renameSync(`${paths.envSh}.tmp`, paths.envSh);
    stamp(`ready; . ${paths.envSh}`);
  }
} catch (err) {
  stamp(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
