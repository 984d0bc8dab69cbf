import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSimulator } from './server.ts';

// `npm run sim -- [--port N] [--state FILE] [--admin] [--tls-cert FILE --tls-key FILE]`
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    state: { type: 'string' },
    admin: { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
  process.stderr.write('opsmanager-sim: --tls-cert and --tls-key go together\n');
  process.exit(2);
}
const tls = values['tls-cert'] && values['tls-key']
  ? { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') }
  : undefined;

const sim = await startSimulator({
  port: values.port !== undefined ? Number(values.port) : 0,
  host: values.host,
  stateFile: values.state,
  admin: values.admin,
  tls,
});
// Before the banner: whoever reads it may signal at once, and must get a clean stop.
const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.stdout.write(
  JSON.stringify({
    url: sim.url,
    orgId: sim.orgId,
    projectIds: sim.projectIds,
    adminPublicKey: sim.admin.publicKey,
    adminPrivateKey: sim.admin.privateKey,
  }) + '\n',
);
