import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFixture { caPem: string; otherCaPem: string; cert: string; key: string }

/** A throwaway CA and a server certificate for `ips` (default 127.0.0.1), made with the openssl CLI. */
export function makeTlsFixture(ips: readonly string[] = ['127.0.0.1']): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'omkeys-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    for (const name of ['ca', 'other-ca']) {
      ssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=omkeys test ${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    }
    ssl('req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ips[0] ?? '127.0.0.1'}`);
    writeFileSync(join(dir, 'ext.cnf'), [
      `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}`, 'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', '',
    ].join('\n'));
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { caPem: read('ca.crt'), otherCaPem: read('other-ca.crt'), cert: read('server.crt'), key: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
