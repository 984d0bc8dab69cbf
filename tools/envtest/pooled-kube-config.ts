import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/**
 * client-node 1.4 gives every API call a new https.Agent, so every call opens a new TCP and
 * TLS connection: a handshake's CPU on both sides for each GET or PUT. With a few writes per
 * key that made the API server, not Ops Manager, the bottleneck. This KubeConfig hands out one
 * keep-alive agent per distinct TLS identity (CA, client certificate, verification settings)
 * instead; bearer tokens travel in headers and are still applied per call.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly maxSockets = 64) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (!fresh) return;
    const isHttps = fresh instanceof https.Agent;
    const o = (fresh as https.Agent).options;
    const id = createHash('sha256')
      .update(JSON.stringify([isHttps, o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername]))
      .digest('hex');
    let agent = this.agents.get(id);
    if (!agent) {
      const options = { ...o, keepAlive: true, maxSockets: this.maxSockets };
      agent = isHttps ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(id, agent);
    }
    context.setAgent(agent);
  }

  /** Closes the pooled connections (on shutdown). */
  destroyAgents(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  get agentCount(): number {
    return this.agents.size;
  }
}
