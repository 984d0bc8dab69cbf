import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { NonceStore } from './digest.ts';
import { Faults } from './faults.ts';
import { accessListRoutes } from './handlers-access-list.ts';
import { orgKeyRoutes } from './handlers-org-keys.ts';
import { projectKeyRoutes } from './handlers-project-keys.ts';
import { send } from './http-io.ts';
import { handleRequest } from './pipeline.ts';
import type { PipelineDeps } from './pipeline.ts';
import { RequestLog } from './request-log.ts';
import { SimState } from './state.ts';
import type { ApiKey } from './state.ts';
import { Stats } from './stats.ts';

export { SimState } from './state.ts';
export type { FaultRule } from './faults.ts';
export type { LoggedRequest } from './request-log.ts';

export interface SimOptions {
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  stateFile?: string;
  /** Mount the `/__sim/*` controls. */
  admin?: boolean;
  /** Default 5 minutes. */
  nonceTtlMs?: number;
  now?: () => number;
  /** PEM strings: serve HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
}

export interface SimHandle {
  /** Base URL without `/api/public/v1.0`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  orgId: string;
  projectIds: string[];
  /** The bootstrap Organization Owner key. */
  admin: { publicKey: string; privateKey: string; id: string };
  state: SimState;
  /** In-process fault control, same rules as `PUT /__sim/faults`. */
  faults: Faults;
  stats: Stats;
  /** Timestamped request log (off until `requests.enable()`), same as `/__sim/requests`. */
  requests: RequestLog;
  close(): Promise<void>;
}

export const BOOTSTRAP_DESC = 'simulator bootstrap admin';

export async function startSimulator(opts: SimOptions = {}): Promise<SimHandle> {
  const now = opts.now ?? Date.now;
  const state = new SimState(now, opts.stateFile);
  if (!state.load()) seed(state, now);
  const org = [...state.orgs.values()][0];
  if (!org) throw new Error(`state file ${opts.stateFile ?? ''} holds no organization`);
  const adminKey = findAdmin(state, org.id) ?? bootstrapAdmin(state, org.id, now);
  state.save();

  const deps: PipelineDeps = {
    state,
    nonces: new NonceStore(opts.nonceTtlMs ?? 5 * 60_000, now),
    faults: new Faults(),
    stats: new Stats(),
    requests: new RequestLog(),
    routes: [...orgKeyRoutes, ...accessListRoutes, ...projectKeyRoutes],
    admin: opts.admin ?? false,
    tls: opts.tls !== undefined,
    now,
    held: new Set(),
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(req, res, deps).catch((err: unknown) => {
      process.stderr.write(`opsmanager-sim: ${String(err)}\n`);
      if (!res.headersSent) send(res, 500, { error: 'internal simulator error' });
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createHttpServer(onRequest);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    orgId: org.id,
    projectIds: [...state.projects.values()].filter((p) => p.orgId === org.id).map((p) => p.id),
    admin: { publicKey: adminKey.publicKey, privateKey: adminKey.privateKey, id: adminKey.id },
    state,
    faults: deps.faults,
    stats: deps.stats,
    requests: deps.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const req of deps.held) req.socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function seed(state: SimState, now: () => number): void {
  const org = state.addOrg('Simulated Organization', false);
  for (const name of ['Project A', 'Project B', 'Project C']) state.addProject(org.id, name);
  bootstrapAdmin(state, org.id, now);
}

/**
 * The Organization Owner key an Ops Manager admin hands the operator, set up as Ops Manager
 * 5.0 needs it to create project keys: the operator's address (loopback here) on its own list.
 */
function bootstrapAdmin(state: SimState, orgId: string, now: () => number): ApiKey {
  const key = state.addKey(orgId, BOOTSTRAP_DESC, [{ orgId, roleName: 'ORG_OWNER' }]);
  const created = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  key.accessList = ['127.0.0.1/32', '::1/128'].map((cidrBlock) => ({ cidrBlock, ipAddress: null, created, count: 0 }));
  return key;
}

function findAdmin(state: SimState, orgId: string): ApiKey | undefined {
  return state.keysOfOrg(orgId).find((k) => k.desc === BOOTSTRAP_DESC && k.roles.some((r) => r.orgId === orgId && r.roleName === 'ORG_OWNER'));
}
