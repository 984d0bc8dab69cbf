// Private keys must never show up outside Ops Manager's create answer and the Secrets: not in
// the operator's logs, not in Events, not in any status. The run gathers every private key the
// simulator ever minted (orphans' included) and those seen in Secrets, and every UUID-shaped
// token of the logs, Events and objects; a leak is a token in both sets.
import { readFileSync } from 'node:fs';
import type { Kube } from '../../test/integration/support/kube.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';

// The simulator's private keys are random UUIDs (as Ops Manager's are); resource uids share the shape, not the values.
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export class LeakScan {
  readonly privateKeys = new Set<string>();
  /** token → where it was first seen. */
  private readonly seen = new Map<string, string>();
  samples = 0;

  constructor(sim: SimHandle) {
    const keys = sim.state.apiKeys;
    for (const k of keys.values()) this.privateKeys.add(k.privateKey);
    const set = keys.set.bind(keys);
    // Every key minted from now on, including those whose create answer is lost.
    keys.set = (id: string, key: ApiKey) => {
      this.privateKeys.add(key.privateKey);
      return set(id, key);
    };
  }

  addFromSecrets(secrets: Iterable<Record<string, string>>): void {
    for (const d of secrets) if (d.privateKey) this.privateKeys.add(d.privateKey);
  }

  private tokens(text: string, where: string): void {
    for (const m of text.matchAll(UUID)) if (!this.seen.has(m[0])) this.seen.set(m[0], where);
  }

  /**
   * Events of every namespace and the objects' status; taken now and then during the run,
   * because a namespace deleted by a storm takes its Events with it.
   */
  async sample(kube: Kube): Promise<void> {
    try {
      const events = await kube.core.listEventForAllNamespaces();
      this.tokens(JSON.stringify(events.items), 'an Event');
      for (const plural of ['opsmanagerapikeys', 'projectkeybindings']) {
        const list = (await kube.custom.listClusterCustomObject({ group: 'omkeys.io', version: 'v1alpha1', plural })) as { items: Array<{ metadata: unknown; status?: unknown }> };
        this.tokens(JSON.stringify(list.items.map((o) => ({ metadata: o.metadata, status: o.status }))), `a ${plural} object`);
      }
      this.samples++;
    } catch {
      // The API server may be down on purpose; the next sample catches up.
    }
  }

  scanFiles(files: readonly string[]): void {
    for (const f of files) {
      try {
        this.tokens(readFileSync(f, 'utf8'), `log ${f}`);
      } catch {
        // A replica that never started has no log.
      }
    }
  }

  leaks(): Array<{ where: string; key: string }> {
    const out: Array<{ where: string; key: string }> = [];
    for (const [token, where] of this.seen) if (this.privateKeys.has(token)) out.push({ where, key: `${token.slice(0, 4)}…` });
    return out;
  }
}
