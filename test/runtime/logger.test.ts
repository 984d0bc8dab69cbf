import { expect } from 'chai';
import { createLogger } from '../../src/runtime/logger.ts';
import { silentLogger } from './fake-list-watch.ts';
import { Writable } from 'node:stream';

const SECRET = 'e3b0c442-98fc-1c14-9afb-f4c8996fb924';

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('createLogger', () => {
  it('redacts private keys, Secret data and authorization headers wherever they commonly sit', () => {
    const { lines, logger } = capture();
    const b64 = Buffer.from(SECRET).toString('base64');
    logger.info({ privateKey: SECRET }, 'top');
    logger.info({ apiKey: { publicKey: 'abcdefgh', privateKey: SECRET } }, 'nested');
    logger.info({ secret: { metadata: { name: 's' }, data: { privateKey: b64 }, stringData: { privateKey: SECRET } } }, 'secret');
    logger.info({ data: { privateKey: b64 } }, 'data');
    logger.info({ req: { headers: { authorization: `Digest username="pub", response="${SECRET}"` } } }, 'request');
    logger.child({ controller: 'x' }).info({ response: { body: { privateKey: SECRET } } }, 'child');
    const out = lines.join('');
    expect(lines).to.have.length(6);
    expect(out).to.not.include(SECRET);
    expect(out).to.not.include(b64);
    expect(out).to.include('[REDACTED]');
    expect(out).to.include('abcdefgh'); // the public half is not a secret
  });

  it('writes JSON with a level label and honours the level', () => {
    const { lines, logger } = capture();
    logger.debug('shown');
    const quiet = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, d) => d() }) });
    expect(quiet.isLevelEnabled('info')).to.equal(false);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).to.include({ level: 'debug', msg: 'shown', name: 'omkeys' });
    expect(silentLogger().isLevelEnabled('debug')).to.equal(true);
  });
});
